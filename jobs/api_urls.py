from django.urls import path

from jobs import apis

urlpatterns = [
    path("jobs/", apis.JobListApi.as_view(), name="api-job-list"),
    path("jobs/<int:pk>/", apis.JobDetailApi.as_view(), name="api-job-detail"),
    path("jobs/<int:pk>/cancel/", apis.JobCancelApi.as_view(), name="api-job-cancel"),
    path("jobs/<int:pk>/retry/", apis.JobRetryApi.as_view(), name="api-job-retry"),
    # The same as retry, under the name it had when only labelling jobs could resume.
    path("jobs/<int:pk>/resume/", apis.JobRetryApi.as_view(), name="api-job-resume"),
]
