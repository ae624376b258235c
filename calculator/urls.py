from django.urls import path

from calculator import api, views

urlpatterns = [
    path("", views.index, name="calculator"),
    path("estimate.csv", views.estimate_csv, name="calculator-csv"),
    path("paste-numbers/", views.paste_numbers, name="calculator-paste"),
    path("how-meta-charges/", views.how_meta_charges, name="how-meta-charges"),
    path("api/v1/estimate", api.estimate, name="api-estimate"),
    path("api/v1/replay", api.replay, name="api-replay"),
    path("api/v1/openapi.json", api.openapi, name="api-openapi"),
    path("api/v1/docs", api.docs, name="api-docs"),
]
