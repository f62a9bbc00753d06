from django.urls import path

from . import views

app_name = "advisory"

urlpatterns = [
    path("", views.inquiry_form, name="inquiry_form"),
    path("thanks/", views.thanks, name="thanks"),
]
