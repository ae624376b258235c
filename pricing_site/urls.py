from django.contrib import admin
from django.urls import include, path

from pricing_site import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/login/", views.ThrottledLoginView.as_view(template_name="admin/login.html",
                                                           extra_context={"site_header": admin.site.site_header})),
    path("admin/", admin.site.urls),
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("ratecards.urls")),
    path("", include("calculator.urls")),
    path("", include("quotes.urls")),
    path("", include("usage.urls")),
]

handler500 = views.server_error
