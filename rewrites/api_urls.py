"""The rewrites API, under /api/datasets/<name>/ (included from selflearn_site/api_urls.py)."""

from django.urls import path

from rewrites import apis

urlpatterns = [
    path("datasets/<str:name>/rewrite/", apis.RewriteApi.as_view(), name="api-rewrite"),
    path("datasets/<str:name>/rewrites/mine/", apis.RewriteMiningApi.as_view(), name="api-rewrites-mine"),
    path("datasets/<str:name>/rewrites/build/", apis.RewriterBuildApi.as_view(), name="api-rewriter-build"),
    path("datasets/<str:name>/rewrites/pairs/", apis.RewritePairListApi.as_view(), name="api-rewrite-pairs"),
    path(
        "datasets/<str:name>/rewrites/pairs/export/",
        apis.RewritePairExportApi.as_view(),
        name="api-rewrite-pairs-export",
    ),
    path(
        "datasets/<str:name>/rewrites/pairs/<int:pk>/decision/",
        apis.RewritePairDecisionApi.as_view(),
        name="api-rewrite-pair-decision",
    ),
    path(
        "datasets/<str:name>/rewrites/blocked/", apis.RewriteBlockListApi.as_view(), name="api-rewrite-blocks"
    ),
    path(
        "datasets/<str:name>/rewrites/blocked/<int:pk>/",
        apis.RewriteBlockApi.as_view(),
        name="api-rewrite-block",
    ),
]
