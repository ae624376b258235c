from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RatecardsConfig(AppConfig):
    name = "ratecards"
    verbose_name = "Rate cards and markets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ratecards import catalog, defaults  # noqa: F401  (catalog connects its signals)

        # migrate (and test database set-up, and flush) ends with the shipped cards and mapping loaded.
        post_migrate.connect(defaults.load_after_migrate, sender=self)
        from ratecards.calling_import import load_shipped_calling_card

        post_migrate.connect(load_shipped_calling_card, sender=self)  # after the markets it needs
