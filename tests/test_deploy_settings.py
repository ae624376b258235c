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
