from django.urls import path

from annotations.apis import DatasetImportApi, DatasetListApi

urlpatterns = [
    path("datasets/", DatasetListApi.as_view(), name="api-dataset-list"),
    path("datasets/<str:name>/imports/", DatasetImportApi.as_view(), name="api-dataset-import"),
]
