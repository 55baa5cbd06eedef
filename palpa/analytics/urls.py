from django.urls import path

from palpa.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.page, name="outcomes"),
    path("mine/", views.mine, name="mine"),
]
