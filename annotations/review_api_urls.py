"""The review API, under /api/datasets/<name>/review/ (included from selflearn_site/urls.py)."""

from django.urls import path

from annotations import review_apis

urlpatterns = [
    path("datasets/<str:name>/review/next/", review_apis.ReviewNextApi.as_view(), name="api-review-next"),
    path(
        "datasets/<str:name>/review/dialogues/<int:pk>/",
        review_apis.ReviewDialogueApi.as_view(),
        name="api-review-dialogue",
    ),
    path(
        "datasets/<str:name>/review/dialogues/<int:pk>/accept-all/",
        review_apis.DialogueAcceptAllApi.as_view(),
        name="api-review-accept-all",
    ),
    path(
        "datasets/<str:name>/review/dialogues/<int:pk>/labels/",
        review_apis.DialogueLabelCreateApi.as_view(),
        name="api-review-label-create",
    ),
    path(
        "datasets/<str:name>/review/dialogues/<int:pk>/undo/",
        review_apis.DialogueUndoApi.as_view(),
        name="api-review-undo",
    ),
    path(
        "datasets/<str:name>/review/labels/<int:pk>/decision/",
        review_apis.LabelDecisionApi.as_view(),
        name="api-review-decision",
    ),
]
