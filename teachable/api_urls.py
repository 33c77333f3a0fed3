"""The teachable API, under /api/datasets/<name>/ (included from selflearn_site/api_urls.py)."""

from django.urls import path

from teachable import apis

urlpatterns = [
    path("datasets/<str:name>/resolve/", apis.ResolveApi.as_view(), name="api-teachable-resolve"),
    path("datasets/<str:name>/users/", apis.AssistantUserListApi.as_view(), name="api-teachable-users"),
    path(
        "datasets/<str:name>/users/<person:user_id>/",
        apis.AssistantUserApi.as_view(),
        name="api-teachable-user",
    ),
    path(
        "datasets/<str:name>/users/<person:user_id>/preferences/",
        apis.PreferenceListApi.as_view(),
        name="api-teachable-preferences",
    ),
    path(
        "datasets/<str:name>/users/<person:user_id>/moments/",
        apis.MomentListApi.as_view(),
        name="api-teachable-moments",
    ),
    path(
        "datasets/<str:name>/moments/find/", apis.MomentsFindApi.as_view(), name="api-teachable-moments-find"
    ),
    path(
        "datasets/<str:name>/moments/<int:pk>/decision/",
        apis.MomentDecisionApi.as_view(),
        name="api-teachable-moment-decision",
    ),
    path(
        "datasets/<str:name>/preferences/learn-from-labels/",
        apis.LearnFromLabelsApi.as_view(),
        name="api-teachable-learn-from-labels",
    ),
    path(
        "datasets/<str:name>/preferences/<int:pk>/",
        apis.PreferenceApi.as_view(),
        name="api-teachable-preference",
    ),
    path(
        "datasets/<str:name>/question-sets/",
        apis.QuestionSetListApi.as_view(),
        name="api-teachable-question-sets",
    ),
    path(
        "datasets/<str:name>/question-sets/<slug:set_name>/",
        apis.QuestionSetApi.as_view(),
        name="api-teachable-question-set",
    ),
    path(
        "datasets/<str:name>/guided-sessions/",
        apis.GuidedSessionCreateApi.as_view(),
        name="api-teachable-guided-sessions",
    ),
    path(
        "datasets/<str:name>/guided-sessions/<int:pk>/",
        apis.GuidedSessionApi.as_view(),
        name="api-teachable-guided-session",
    ),
    path(
        "datasets/<str:name>/guided-sessions/<int:pk>/answer/",
        apis.GuidedAnswerApi.as_view(),
        name="api-teachable-guided-answer",
    ),
    path(
        "datasets/<str:name>/guided-sessions/<int:pk>/stop/",
        apis.GuidedStopApi.as_view(),
        name="api-teachable-guided-stop",
    ),
    path(
        "datasets/<str:name>/resolution-rules/",
        apis.ResolutionRulesApi.as_view(),
        name="api-teachable-resolution-rules",
    ),
]
