"""Production settings pass Django's deployment checks; missing essentials stop the site clearly."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "pricing.example.com",
    "DJANGO_SMTP_HOST": "smtp.example.com",
}


def test_production_settings_pass_check_deploy_at_warning_level():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_https_is_on_by_default_outside_debug_and_off_with_DJANGO_HTTPS_0():
    script = "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE)"
    on = manage("shell", "-v", "0", "-c", script, **PRODUCTION)
    assert on.stdout.split() == ["True", "31536000", "True"], on.stderr
    off = manage("shell", "-v", "0", "-c", "from django.conf import settings as s; print(getattr(s, 'SECURE_SSL_REDIRECT', False))",
                 **PRODUCTION, DJANGO_HTTPS="0")
    assert off.stdout.strip() == "False", off.stderr


def test_a_missing_secret_key_outside_debug_stops_with_a_clear_message():
    result = manage("check", DJANGO_ALLOWED_HOSTS="x")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_a_proxy_header_can_be_trusted():
    script = "from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER)"
    result = manage("shell", "-v", "0", "-c", script, **PRODUCTION, DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https")
    assert result.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')", result.stderr


# --- Mail outside debug (issue 11, point 10): SMTP, or reset by mail explicitly off; never silently lost --

WITHOUT_MAIL = {key: value for key, value in PRODUCTION.items() if key != "DJANGO_SMTP_HOST"}


def test_with_password_reset_mail_off_check_deploy_passes_without_smtp():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **WITHOUT_MAIL, DJANGO_PASSWORD_RESET_MAIL="0")
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_any_mail_setting_outside_debug_the_site_refuses_to_start():
    result = manage("check", **WITHOUT_MAIL)
    assert result.returncode != 0
    assert "No mail setting: set DJANGO_SMTP_HOST" in result.stderr
    assert "DJANGO_PASSWORD_RESET_MAIL=0" in result.stderr


def test_debug_needs_no_mail_setting_and_prints_mail_to_the_console():
    script = "from django.conf import settings as s; print(s.MAILERS['default']['BACKEND'])"
    result = manage("shell", "-v", "0", "-c", script, DJANGO_DEBUG="1")
    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend", result.stderr


def readme_production_environment() -> dict[str, str]:
    """The variables the README's production example exports (a generated secret for the $(...) one)."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("A production run, for example:", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    env = {}
    for line in block.splitlines():
        if line.startswith("export "):
            for name, value in re.findall(r"([A-Z_]+)=(\$\([^)]*\)\)|\S+)", line.split("#", 1)[0]):
                env[name] = secrets.token_urlsafe(50) if value.startswith("$(") else value
    return env


def test_the_readmes_production_example_passes_check_deploy():
    env = readme_production_environment()
    assert {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DJANGO_SMTP_HOST"} <= set(env), env
    env.pop("DATABASE_URL")  # the example's server does not exist here; check --deploy needs no database
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stdout + result.stderr
