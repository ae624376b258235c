import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pricing_site.settings")
django_application = get_wsgi_application()

from usage.live_wsgi import webhook_fast_path  # noqa: E402 (needs the apps loaded)

# Meta's webhook POSTs are answered before Django's request cycle (usage/live_wsgi.py); the rest is Django.
application = webhook_fast_path(django_application)
