from django.urls import path

from . import views

app_name = "gallery"

urlpatterns = [
    path("", views.home, name="home"),
    path("mine/", views.my_gallery, name="mine"),
    path("gallery/", views.public_gallery, name="public"),
    path("u/<str:username>/", views.user_gallery, name="user"),
    path("status/", views.status, name="status"),
    path("s/<uuid:pk>/", views.detail, name="detail"),
    path("s/<uuid:pk>/restyle/", views.restyle, name="restyle"),
    path("s/<uuid:pk>/visibility/", views.set_visibility, name="visibility"),
    path("s/<uuid:pk>/delete/", views.delete, name="delete"),
    path("s/<uuid:pk>/like/", views.like, name="like"),
    path("s/<uuid:pk>/cancel/", views.cancel, name="cancel"),
    path("s/<uuid:pk>/<slug:kind>/", views.stylization_file, name="file"),
    path("report/<slug:kind>/<uuid:pk>/", views.report, name="report"),
    path("styles/", views.style_gallery, name="styles"),
    path("styles/new/", views.style_upload, name="style_upload"),
    path("styles/<uuid:pk>/bottleneck/", views.style_bottleneck, name="style_bottleneck"),
    path("styles/<uuid:pk>/<slug:kind>/", views.style_file, name="style_file"),
    path("camera/", views.camera, name="camera"),
]
