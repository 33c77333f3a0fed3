"""The rewrites page, under /datasets/<name>/rewrites/."""

from django.urls import path

from rewrites import views

app_name = "rewrites"

urlpatterns = [
    path("<str:name>/rewrites/", views.rewrite_pairs, name="rewrite-pairs"),
]
