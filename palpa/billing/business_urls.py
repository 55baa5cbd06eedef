from django.urls import path

from palpa.billing import business_views

app_name = "business"
urlpatterns = [path("", business_views.page, name="page")]
