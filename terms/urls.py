from django.urls import path

from . import views

app_name = "terms"

urlpatterns = [
    path("", views.glossary_index, name="glossary_index"),
    path("category/<slug:slug>/", views.category_detail, name="category_detail"),
    path("<slug:slug>/", views.term_detail, name="term_detail"),
]
