from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("customers/", views.customer_list, name="list"),
    path("customers/new/", views.customer_new, name="new"),
    path("customers/<str:public_id>/", views.customer_detail, name="detail"),
    path("customers/<str:public_id>/edit/", views.customer_edit, name="edit"),
]
