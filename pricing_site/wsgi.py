import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.utils.module_loading import import_string

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pricing_site.settings")
application = get_wsgi_application()

# What answers before Django's request cycle (settings.WSGI_WRAPPERS: Meta's webhook POSTs,
# usage/live_wsgi.py); the first listed sees a request first.
for wrapper in reversed(settings.WSGI_WRAPPERS):
    application = import_string(wrapper)(application)
