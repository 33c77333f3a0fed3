"""The review API, under /api/datasets/<name>/review/ (included from selflearn_site/urls.py)."""

from django.urls import path

from review import apis

urlpatterns = [
    path(
        "datasets/<str:name>/auto-accept/",
        apis.DatasetAutoAcceptApi.as_view(),
        name="api-dataset-auto-accept",
    ),
    path("datasets/<str:name>/review/next/", apis.ReviewNextApi.as_view(), name="api-review-next"),
    path(
        "datasets/<str:name>/review/dialogues/<int:pk>/",
        apis.ReviewDialogueApi.as_view(),
        name="api-review-dialogue",
    ),
    path(
        "datasets/<str:name>/review/dialogues/<int:pk>/accept-all/",
        apis.DialogueAcceptAllApi.as_view(),
        name="api-review-accept-all",
    ),
    path(
        "datasets/<str:name>/review/dialogues/<int:pk>/labels/",
        apis.DialogueLabelCreateApi.as_view(),
        name="api-review-label-create",
    ),
    path(
        "datasets/<str:name>/review/dialogues/<int:pk>/undo/",
        apis.DialogueUndoApi.as_view(),
        name="api-review-undo",
    ),
    path(
        "datasets/<str:name>/review/labels/<int:pk>/decision/",
        apis.LabelDecisionApi.as_view(),
        name="api-review-decision",
    ),
]
