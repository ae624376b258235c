from django.urls import path

from impact import views

app_name = "impact"
urlpatterns = [
    path("impact/cards/<int:card_id>/", views.card_report, name="card"),
    path("impact/cards/<int:card_id>/impact.csv", views.card_report_csv, name="card-csv"),
]
