"""The usage pages: a workspace's months, the upload, the what-if panel and the CSV exports.

Every view takes the workspace from the address and answers 404 unless the signed-in user may see it
(`usage.access`), so no page or export ever shows another workspace's data.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from pricing_site.downloads import csv_download

from . import exports, jobs, whatif
from .access import workspace_for, workspaces_for
from .dashboard import month_view
from .forms import UploadForm, size_text, upload_limit, upload_line_limit, upload_uncompressed_limit
from .ingest import ingest
from .models import IngestRun, Job
from .calls import month_calls
from .summary import month_totals, months_with_data
from .webhooks import FileTooLarge, NotWebhooks


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    workspaces = list(workspaces_for(request.user))
    if len(workspaces) == 1:
        return redirect("usage-dashboard", workspace=workspaces[0].slug)
    return render(request, "usage/index.html", {"workspaces": workspaces})


@require_GET
@login_required
def dashboard(request: HttpRequest, workspace: str, month: date | None = None) -> HttpResponse:
    space = workspace_for(request.user, workspace)
    if month is None:
        chosen = _month_asked(request.GET.get("month", ""))
        months = months_with_data(space)
        if chosen is not None or months:
            return redirect("usage-month", workspace=space.slug, month=chosen or months[0])
        return render(request, "usage/dashboard.html", {"workspace": space, "view": None})
    if month not in months_with_data(space):
        raise Http404("No usage loaded for this month")
    view = month_view(space, month)
    return render(request, "usage/dashboard.html", _page(space, view, view.what_if))


@require_GET
@login_required
def what_if(request: HttpRequest, workspace: str, month: date) -> HttpResponse:
    """The what-if panel: computed on first use and kept; the whole page without JavaScript."""
    space = workspace_for(request.user, workspace)
    if month not in months_with_data(space):
        raise Http404("No usage loaded for this month")
    found, job = whatif.cached(space, month), None
    if found is None:
        if jobs.what_if_in_background(space, month):
            job = jobs.start_what_if(space, month)
        else:
            found = whatif.what_if(space, month)
    if request.htmx:
        return render(request, "usage/dashboard.html#what-if", _what_if_context(space, month, found,
                                                                                 month_totals(space, month)) | {"job": job})
    return render(request, "usage/dashboard.html", _page(space, month_view(space, month), found) | {"job": job})


def _month_asked(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[5:7]), 1) if len(text) == 7 and text[4] == "-" else None
    except ValueError:
        return None


def _page(space, view, found: dict | None) -> dict:
    return ({"workspace": space, "view": view, "calls": month_calls(space.pk, view.month)}
            | _what_if_context(space, view.month, found, view.totals))


def _what_if_context(space, month: date, found: dict | None, totals) -> dict:
    table = whatif.table(found, totals) if found else None
    rows = (table.actual, *table.rows) if table else ()
    return {"workspace": space, "month": month, "what_if": found, "what_if_table": table, "what_if_rows": rows}


@require_GET
@login_required
def month_csv(request: HttpRequest, workspace: str, month: date) -> HttpResponse:
    space = workspace_for(request.user, workspace)
    return csv_download(exports.month_csv(space, month), f"usage-{space.slug}-{month:%Y-%m}.csv")


@require_GET
@login_required
def messages_csv(request: HttpRequest, workspace: str, month: date) -> StreamingHttpResponse:
    space = workspace_for(request.user, workspace)
    return csv_download(exports.message_rows(space, month), f"messages-{space.slug}-{month:%Y-%m}.csv")


@require_http_methods(["GET", "POST"])
@login_required
def upload(request: HttpRequest, workspace: str) -> HttpResponse:
    space = workspace_for(request.user, workspace)
    form, refused = UploadForm(), None
    if request.method == "POST":
        form, refused, run = _load_upload(request, space)
        if isinstance(run, Job):
            return redirect(f"{reverse('usage-upload', args=[space.slug])}?job={run.pk}")
        if run is not None:
            return redirect(f"{reverse('usage-upload', args=[space.slug])}?run={run.pk}")
    shown = job = None
    if request.GET.get("run", "").isdigit():
        shown = IngestRun.objects.filter(workspace=space, pk=int(request.GET["run"])).first()
    if request.GET.get("job", "").isdigit() and len(request.GET["job"]) <= 18:
        job = Job.objects.filter(workspace=space, kind=Job.Kind.UPLOAD, pk=int(request.GET["job"])).first()
        shown = job.run if job is not None else None
        if request.htmx and job is not None:
            return render(request, "usage/upload.html#job", {"workspace": space, "job": job, "run": shown})
    return render(request, "usage/upload.html", {
        "workspace": space, "form": form, "refused": refused, "run": shown, "limit": size_text(upload_limit()),
        "line_limit": upload_line_limit(),
        "runs": space.ingest_runs.all()[:10], "job": job,
    }, status=400 if request.method == "POST" else 200)


def _load_upload(request: HttpRequest, space) -> tuple[UploadForm, str | None, IngestRun | Job | None]:
    """(form, why nothing was loaded, the load or the job loading it in the worker): a file over the size
    limit or not webhooks loads nothing; a file over USAGE_UPLOAD_BACKGROUND_MB loads in the worker."""
    limit = upload_limit()
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit + 64 * 1024:
        return UploadForm(), (f"This upload is larger than {size_text(limit)}. Load bigger files with the command: "
                              f"python manage.py ingest_webhooks FILE --workspace {space.slug}"), None
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return form, None, None
    upload_file = form.cleaned_data["file"]
    upload_file.seek(0)
    if jobs.upload_in_background(upload_file.size):
        return form, None, jobs.start_upload(space, request.user, upload_file.name, upload_file.read())
    try:
        report = ingest(upload_file.file, space, filename=upload_file.name, user=request.user,
                        max_lines=upload_line_limit(), max_bytes=upload_uncompressed_limit())
    except FileTooLarge as exc:
        return form, (f"{upload_file.name} was not loaded: {exc}. Nothing was stored. Load it with the command: "
                      f"python manage.py ingest_webhooks FILE --workspace {space.slug}"), None
    except NotWebhooks as exc:
        return form, f"{upload_file.name} was not loaded: {exc}. Nothing was stored.", None
    return form, None, report.run
