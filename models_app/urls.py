"""The model pages under /models/, and the dataset pages that start labelling and training under
/datasets/<name>/ (next to the dataset's other pages)."""

from django.urls import path

from models_app import views

app_name = "models_app"

urlpatterns = [
    path("models/", views.model_list, name="model-list"),
    path("models/<int:pk>/", views.model_detail, name="model-detail"),
    path("datasets/<str:name>/label/", views.dataset_label, name="dataset-label"),
    path("datasets/<str:name>/train/", views.dataset_train, name="dataset-train"),
]
