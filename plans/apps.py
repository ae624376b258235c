from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "Provider price plans"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from plans import defaults  # models are importable only once apps are ready

        # migrate (and test database set-up, and flush) ends with the example credit table loaded.
        post_migrate.connect(defaults.load_after_migrate, sender=self)
