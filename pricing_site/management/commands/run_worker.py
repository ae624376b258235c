"""`python manage.py run_worker`: the Procfile's worker line. django-tasks-db's `db_worker`, which first
queues again the tasks of workers of this machine that died mid-task (`pricing_site.worker`), and names
itself `host:pid:random` so that later workers can tell whether it is still alive."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string
from django_tasks_db.management.commands import db_worker

from pricing_site.worker import new_worker_id, requeue_interrupted


class Command(db_worker.Command):
    help = "Run the task worker (django-tasks-db's db_worker), after requeueing tasks of dead workers."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*", worker_id=None)

    def handle(self, *args, **options):
        options["worker_id"] = options.get("worker_id") or new_worker_id()
        self.configure_logging(options["verbosity"])
        requeued = requeue_interrupted()
        if requeued:
            self.stdout.write(f"Queued again {requeued} task(s) interrupted by a worker that died.")
        for path in getattr(settings, "TASK_WORKER_STARTUP", ()):
            import_string(path)()
        super().handle(*args, **options)
