from datetime import date

from django.urls import path, register_converter

from usage import live_views, views


class MonthConverter:
    """YYYY-MM in the address, the first day of that month in the view."""

    regex = r"[0-9]{4}-(?:0[1-9]|1[0-2])"

    def to_python(self, value: str) -> date:
        return date(int(value[:4]), int(value[5:7]), 1)

    def to_url(self, value: date) -> str:
        return f"{value:%Y-%m}"


register_converter(MonthConverter, "month")

urlpatterns = [
    path("usage/", views.index, name="usage-index"),
    path("usage/<slug:workspace>/", views.dashboard, name="usage-dashboard"),
    path("usage/<slug:workspace>/upload/", views.upload, name="usage-upload"),
    path("usage/<slug:workspace>/webhooks/", live_views.setup, name="usage-webhook-setup"),
    path("webhooks/meta/<slug:workspace>", live_views.meta_webhook, name="usage-webhook"),
    path("api/v1/usage/<slug:workspace>/months/<month:month>", live_views.month_api, name="api-usage-month"),
    path("usage/<slug:workspace>/<month:month>/", views.dashboard, name="usage-month"),
    path("usage/<slug:workspace>/<month:month>/what-if/", views.what_if, name="usage-what-if"),
    path("usage/<slug:workspace>/<month:month>/usage.csv", views.month_csv, name="usage-csv"),
    path("usage/<slug:workspace>/<month:month>/messages.csv", views.messages_csv, name="usage-messages-csv"),
]
