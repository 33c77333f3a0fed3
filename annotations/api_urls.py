from django.urls import path

from annotations import apis, member_apis

urlpatterns = [
    path("datasets/", apis.DatasetListApi.as_view(), name="api-dataset-list"),
    path("datasets/<str:name>/", apis.DatasetDetailApi.as_view(), name="api-dataset-detail"),
    path(
        "datasets/<str:name>/members/", member_apis.DatasetMemberListApi.as_view(), name="api-dataset-members"
    ),
    path(
        "datasets/<str:name>/members/<str:username>/",
        member_apis.DatasetMemberDetailApi.as_view(),
        name="api-dataset-member",
    ),
    path(
        "datasets/<str:name>/invitations/",
        member_apis.DatasetInvitationListApi.as_view(),
        name="api-dataset-invitations",
    ),
    path(
        "datasets/<str:name>/invitations/<int:pk>/",
        member_apis.DatasetInvitationDetailApi.as_view(),
        name="api-dataset-invitation",
    ),
    path("invitations/", member_apis.MyInvitationListApi.as_view(), name="api-invitations"),
    path("invitations/<int:pk>/", member_apis.MyInvitationDetailApi.as_view(), name="api-invitation"),
    path(
        "invitations/<int:pk>/accept/",
        member_apis.MyInvitationAcceptApi.as_view(),
        name="api-invitation-accept",
    ),
    path("datasets/<str:name>/imports/", apis.DatasetImportApi.as_view(), name="api-dataset-import"),
    path("datasets/<str:name>/dialogues/", apis.DialogueListApi.as_view(), name="api-dialogue-list"),
    path(
        "datasets/<str:name>/dialogues/<int:pk>/",
        apis.DialogueDetailApi.as_view(),
        name="api-dialogue-detail",
    ),
    path("datasets/<str:name>/labels/", apis.LabelListApi.as_view(), name="api-label-list"),
    path("datasets/<str:name>/export/", apis.DatasetExportApi.as_view(), name="api-dataset-export"),
]
