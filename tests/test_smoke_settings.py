from django.conf import settings


def test_tests_run_with_plain_http_and_a_secret_key():
    assert settings.SECRET_KEY == "tests-only-not-secret"
    assert not getattr(settings, "SECURE_SSL_REDIRECT", False)
