from django.urls import path

from jobs.apis import JobDetailApi

urlpatterns = [
    path("jobs/<int:pk>/", JobDetailApi.as_view(), name="api-job-detail"),
]
