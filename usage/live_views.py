"""A workspace's own webhook endpoint (Meta calls it), its set-up page, and the month as JSON (docs/api.md).

`/webhooks/meta/<workspace>`: GET is Meta's verification handshake (the workspace's verify token), POST a
signed payload, stored and answered at once (`usage.live`). Nothing here logs a body or a secret.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from accounts.auth import api_caller
from pricing_site.api import api_errors, public_api

from . import live
from .access import workspace_for
from .models import Workspace
from .summary import month_totals

CHALLENGE_MAX = 200


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
def meta_webhook(request: HttpRequest, workspace: str) -> HttpResponse:
    """Meta's webhook: the handshake (GET) or a signed payload (POST). Signed by the workspace's app secret."""
    if request.method not in ("GET", "POST"):
        response = _text("Use GET (verification) or POST (a webhook).", 405)
        response["Allow"] = "GET, POST"
        return response
    if request.method == "GET":
        space = Workspace.objects.filter(slug=workspace).first()
        return _text("No such workspace.", 404) if space is None else _handshake(request, space)
    answer = live.accept(workspace, int(request.META.get("CONTENT_LENGTH") or 0), lambda: request.body,
                         request.headers.get("X-Hub-Signature-256"))
    return _text(answer.text, answer.status)


def _handshake(request: HttpRequest, space: Workspace) -> HttpResponse:
    challenge = request.GET.get("hub.challenge", "")
    if request.GET.get("hub.mode") != "subscribe" or not challenge or len(challenge) > CHALLENGE_MAX:
        return _text("Verification refused: send hub.mode=subscribe, hub.verify_token and hub.challenge "
                     f"(at most {CHALLENGE_MAX} characters).", 403)
    if not live.verify_token_ok(space, request.GET.get("hub.verify_token")):
        return _text("Verification refused: hub.verify_token is not this workspace's verify token.", 403)
    return HttpResponse(challenge, content_type="text/plain; charset=utf-8")


@require_GET
@login_required
def setup(request: HttpRequest, workspace: str) -> HttpResponse:
    """What to paste into Meta's webhook settings: the callback URL, the verify token, the app secret's state."""
    space = workspace_for(request.user, workspace)
    callback = request.build_absolute_uri(reverse("usage-webhook", args=[space.slug]))
    return render(request, "usage/webhooks.html", {
        "workspace": space, "callback": callback, "pending": live.pending(space),
        "received": space.webhook_payloads.count(), "last": space.webhook_payloads.order_by("-pk").first(),
    })


@public_api("GET")
def month_api(request: HttpRequest, workspace: str, month: date) -> JsonResponse:
    """`GET /api/v1/usage/<workspace>/months/<YYYY-MM>`: the month's figures and the payloads still pending."""
    caller = api_caller(request)
    if caller.user is None:
        return api_errors([("authorization", caller.problem)], status=403 if caller.csrf_failed else 401)
    try:
        space = workspace_for(caller.user, workspace)
    except Http404:
        return api_errors([("workspace", f"no workspace {workspace!r} that you may see")], status=404)
    totals = month_totals(space, month).as_json()
    keys = ("all", "free", "paid", "charge", "currency", "by_category")
    return JsonResponse({"workspace": space.slug, "month": f"{month:%Y-%m}", **{k: totals[k] for k in keys},
                         "pending": live.pending(space)})
