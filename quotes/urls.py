from django.urls import path

from quotes import api, views

app_name = "quotes"

urlpatterns = [
    path("api/v1/quotes", api.create_quote, name="api-create"),
    path("quotes/", views.my_quotes, name="list"),
    path("quotes/new/", views.new_quote, name="new"),
    path("quotes/<slug:reference>/", views.quote_detail, name="detail"),
    path("quotes/<slug:reference>/reprice/", views.reprice, name="reprice"),
    path("quotes/<slug:reference>/status/", views.set_status, name="status"),
    path("quotes/<slug:reference>/share/revoke/", views.revoke_share, name="revoke-share"),
    path("quotes/<slug:reference>/share/renew/", views.renew_share, name="renew-share"),
    path("quotes/<slug:reference>/pdf", views.quote_pdf, name="pdf"),
    path("quotes/<slug:reference>/csv", views.quote_csv, name="csv"),
    path("q/<str:token>/", views.share, name="share"),
    path("q/<str:token>/pdf", views.share_pdf, name="share-pdf"),
    path("q/<str:token>/csv", views.share_csv, name="share-csv"),
]
