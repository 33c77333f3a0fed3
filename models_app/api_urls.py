from django.urls import path

from models_app import apis

urlpatterns = [
    path("models/", apis.ModelVersionListApi.as_view(), name="api-model-list"),
    path("models/<int:pk>/", apis.ModelVersionDetailApi.as_view(), name="api-model-detail"),
    path(
        "datasets/<str:name>/labelling-jobs/", apis.LabellingJobCreateApi.as_view(), name="api-labelling-job"
    ),
    path("datasets/<str:name>/training-jobs/", apis.TrainingJobCreateApi.as_view(), name="api-training-job"),
    path(
        "datasets/<str:name>/evaluation-jobs/",
        apis.EvaluationJobCreateApi.as_view(),
        name="api-evaluation-job",
    ),
]
