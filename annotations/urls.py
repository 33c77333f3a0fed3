from django.urls import path

from annotations import views
from selflearn_site import converters  # noqa: F401  (registers <imported_id:...>)

app_name = "annotations"

urlpatterns = [
    path("", views.dataset_list, name="dataset-list"),
    # Registered before "<str:name>/", so "new" is the form, never a dataset's page.
    path("new/", views.dataset_create_view, name="dataset-create"),
    path("<str:name>/", views.dataset_detail, name="dataset-detail"),
    path("<str:name>/export/", views.dataset_export, name="dataset-export"),
    path("<str:name>/import/", views.dataset_import, name="dataset-import"),
    path("<str:name>/members/", views.dataset_members, name="dataset-members"),
    # A dialogue's own id (any text, "/" included), or the database number older links carry.
    path("<str:name>/dialogues/<imported_id:dialogue_id>/", views.dialogue_detail, name="dialogue-detail"),
]
