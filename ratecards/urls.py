from django.urls import path

from ratecards import views

urlpatterns = [
    path("api/v1/markets/resolve", views.resolve_market, name="api-resolve-market"),
]
