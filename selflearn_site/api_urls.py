"""Everything under /api/: each app contributes its own routes; the OpenAPI schema and its docs page
(Swagger UI, from vendored files) describe them all."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("", include("annotations.api_urls")),
    path("", include("review.api_urls")),
    path("", include("jobs.api_urls")),
    path("", include("models_app.api_urls")),
    path("", include("teachable.api_urls")),
    path("", include("rewrites.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
