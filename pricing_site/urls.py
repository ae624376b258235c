from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from pricing_site import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/login/", views.ThrottledLoginView.as_view(template_name="admin/login.html",
                                                           extra_context={"site_header": admin.site.site_header})),
    path("admin/", admin.site.urls),
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
    # Django's reset pages, unless password reset by e-mail is turned off (DJANGO_PASSWORD_RESET_MAIL=0).
    path("accounts/password_reset/", views.unless_reset_is_off(auth_views.PasswordResetView.as_view()),
         name="password_reset"),
    path("accounts/reset/<uidb64>/<token>/",
         views.unless_reset_is_off(auth_views.PasswordResetConfirmView.as_view()), name="password_reset_confirm"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("ratecards.urls")),
    path("", include("calculator.urls")),
    path("", include("quotes.urls")),
    path("", include("customers.urls")),
    path("", include("usage.urls")),
    path("", include("pricing_mcp.urls")),
    path("", include("impact.urls")),
]

handler500 = views.server_error
