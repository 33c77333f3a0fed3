"""Everything under /api/: each app contributes its own routes; the OpenAPI schema and its docs page
(Swagger UI, from vendored files) describe them all."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

# Swagger UI and Redoc start from an inline script and style themselves inline: their pages alone get
# a wider policy (still this site's files only).
docs_policy = csp_replace(
    {"script-src": [SELF, UNSAFE_INLINE], "style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}
)

urlpatterns = [
    path("", include("annotations.api_urls")),
    path("", include("review.api_urls")),
    path("", include("jobs.api_urls")),
    path("", include("models_app.api_urls")),
    path("", include("teachable.api_urls")),
    path("", include("rewrites.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", docs_policy(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
    path("redoc/", docs_policy(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
]
