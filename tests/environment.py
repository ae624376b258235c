"""Loaded with `-p tests.environment` (pyproject), before pytest-django reads the settings.

The test run's own environment: no secret key needed, plain HTTP (the test client speaks HTTP).
Values already set (CI's DATABASE_URL, say) win.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SMTP_HOST", "smtp.invalid")  # a mail setting is required outside debug; tests use locmem
