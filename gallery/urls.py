from django.urls import path

from . import views

app_name = "gallery"

urlpatterns = [
    path("", views.home, name="home"),
    path("mine/", views.my_gallery, name="mine"),
    path("status/", views.status, name="status"),
    path("s/<uuid:pk>/", views.detail, name="detail"),
    path("s/<uuid:pk>/<slug:kind>/", views.stylization_file, name="file"),
    path("styles/<uuid:pk>/<slug:kind>/", views.style_file, name="style_file"),
]
