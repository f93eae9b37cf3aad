from django.contrib import admin
from django.urls import include, path

from gallery import views as gallery_views
from picstylist.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/signup/", gallery_views.signup, name="signup"),
    # Before django.contrib.auth.urls, so that this throttled view wins.
    path("accounts/password_reset/", gallery_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("gallery.urls")),
]
