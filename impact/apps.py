from django.apps import AppConfig


class ImpactConfig(AppConfig):
    name = "impact"
    verbose_name = "Impact of a new rate card"

    def ready(self) -> None:
        from impact import notify
        from ratecards.models import card_published

        card_published.connect(notify.on_publish, dispatch_uid="impact-publication-mail")
