"""Everything under /api/: each app contributes its own routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("annotations.api_urls")),
    path("", include("jobs.api_urls")),
]
