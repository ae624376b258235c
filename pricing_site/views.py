"""Site-wide views: health check, the throttled login, and the answer to an unexpected error."""

from __future__ import annotations

import functools
import sys
import uuid
from typing import Callable

from django.conf import settings

from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from pricing_site.middleware import database_unavailable
from pricing_site.ratelimit import client_key, hit, too_many


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not usable"; the class name says which
        return f"error: {exc.__class__.__name__}"
    return "ok"


def cache_status() -> str:
    probe = uuid.uuid4().hex
    try:
        cache.set("healthz", probe, timeout=10)
        if cache.get("healthz") != probe:
            return "error: value not kept"
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitors: 200 while the database answers, else 503.

    A cache that does not answer makes the status "degraded" but stays 200: the site serves on, counting
    rate limits per process (pricing_site/ratelimit.py), and a balancer that took every server out of
    rotation for a Redis outage would turn it into a full one. Monitors alert on "degraded".
    """
    checks = {"database": database_status(), "cache": cache_status()}
    if checks["database"] != "ok":
        status = "unavailable"
    else:
        status = "ok" if checks["cache"] == "ok" else "degraded"
    return JsonResponse({"status": status, **checks}, status=503 if status == "unavailable" else 200)


@method_decorator(never_cache, name="dispatch")
class ThrottledLoginView(auth_views.LoginView):
    """Django's login, with sign-in attempts limited per client (RATE_LIMITS["login"])."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"password_reset_by_mail": settings.PASSWORD_RESET_BY_MAIL}

    def post(self, request, *args, **kwargs):
        retry_after = hit("login", client_key(request))
        if retry_after is not None:
            return too_many(request, retry_after)
        return super().post(request, *args, **kwargs)


def unless_reset_is_off(view: Callable) -> Callable:
    """The view, or (DJANGO_PASSWORD_RESET_MAIL=0) a 404 page saying reset by e-mail is off here."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.PASSWORD_RESET_BY_MAIL:
            return render(request, "registration/password_reset_off.html", status=404)
        return view(request, *args, **kwargs)

    return wrapper


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a lost database connection is a 503 that says to retry; anything else a plain 500.

    Django calls this inside its exception handler (and has logged the error with its traceback), so
    sys.exc_info() names what went wrong. Neither answer shows any detail of the error.
    """
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        return database_unavailable(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": [{"field": "", "message": "Something went wrong on our side; it has been logged."}]},
                            status=500)
    return HttpResponse(render_to_string("500.html"), status=500)
