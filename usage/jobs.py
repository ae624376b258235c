"""Big uploads and what-if replays as tasks of the task queue: the page starts a `Job`, the worker does it,
the page polls (htmx, or a refresh link without JavaScript) until it is done.

Each task commits its work and the job's "done" in one transaction, so a worker killed mid-job leaves
the job as it was and the task, queued again by the next worker (`pricing_site.worker`), does it once.
"""

from __future__ import annotations

import io
from datetime import date

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from . import whatif
from .forms import upload_line_limit, upload_uncompressed_limit
from .ingest import ingest
from .job_models import Job
from .models import Message, Workspace
from .webhooks import FileTooLarge, NotWebhooks


def upload_in_background(upload_size: int) -> bool:
    """Uploads bigger than USAGE_UPLOAD_BACKGROUND_MB load in the worker; smaller ones in the request."""
    return upload_size > settings.USAGE_UPLOAD_BACKGROUND_BYTES


def what_if_in_background(workspace: Workspace, month: date) -> bool:
    """Replays of months over USAGE_WHATIF_BACKGROUND_MESSAGES messages run in the worker (a month of a
    million takes ~17 s); smaller ones, well under a second, at once in the request."""
    return Message.objects.filter(workspace=workspace, month=month).count() > settings.USAGE_WHATIF_BACKGROUND_MESSAGES


def start_upload(workspace: Workspace, user, filename: str, data: bytes) -> Job:
    with transaction.atomic():
        job = Job.objects.create(workspace=workspace, kind=Job.Kind.UPLOAD, user=user, filename=filename[:255],
                                 size=len(data), data=data)
        load_upload.enqueue(job.pk)
    return job


def start_what_if(workspace: Workspace, month: date) -> Job:
    """The month's what-if job: the one queued or running, or a new one."""
    with transaction.atomic():
        Workspace.objects.select_for_update(no_key=True).filter(pk=workspace.pk).values_list("pk").first()
        job = Job.objects.filter(workspace=workspace, kind=Job.Kind.WHAT_IF, month=month,
                                 status__in=Job.ACTIVE).first()
        if job is None:
            job = Job.objects.create(workspace=workspace, kind=Job.Kind.WHAT_IF, month=month)
            replay_what_if.enqueue(job.pk)
    return job


def _started(job_id: int) -> Job | None:
    job = Job.objects.filter(pk=job_id).select_related("workspace").first()
    if job is None or not job.active:
        return None  # done already (a task run again after its worker died past the commit)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    return job


@task
def load_upload(job_id: int) -> str:
    job = _started(job_id)
    if job is None:
        return "nothing to do"
    try:
        with transaction.atomic():
            report = ingest(io.BytesIO(bytes(job.data)), job.workspace, filename=job.filename, user=job.user,
                            max_lines=upload_line_limit(), max_bytes=upload_uncompressed_limit())
            _finish(job, Job.Status.DONE, run=report.run)
    except (FileTooLarge, NotWebhooks) as exc:
        _finish(job, Job.Status.FAILED, message=f"{job.filename} was not loaded: {exc}. Nothing was stored.")
    except Exception:
        _finish(job, Job.Status.FAILED, message=f"{job.filename} was not loaded: the server failed (it is in the "
                                                "worker's log). Nothing was stored.")
        raise
    return job.status


@task
def replay_what_if(job_id: int) -> str:
    job = _started(job_id)
    if job is None:
        return "nothing to do"
    try:
        with transaction.atomic():
            whatif.what_if(job.workspace, job.month)
            _finish(job, Job.Status.DONE)
    except Exception:
        _finish(job, Job.Status.FAILED, message="The replay failed (it is in the worker's log).")
        raise
    return job.status


def _finish(job: Job, status: str, run=None, message: str = "") -> None:
    job.status, job.run, job.message, job.finished_at = status, run, message, timezone.now()
    job.data = b""  # the file is loaded (or refused): not kept
    job.save(update_fields=["status", "run", "message", "finished_at", "data"])
