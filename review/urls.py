"""The review pages, under /datasets/<name>/ (included from selflearn_site/urls.py)."""

from django.urls import path

from review import views

app_name = "review"

urlpatterns = [
    path("<str:name>/review/", views.review_queue, name="review-queue"),
    path("<str:name>/review/next/", views.review_next_view, name="review-next"),
    path("<str:name>/review/settings/", views.review_settings, name="review-settings"),
    path("<str:name>/review/skips/clear/", views.review_skips_clear_view, name="review-skips-clear"),
    path("<str:name>/review/<int:pk>/", views.review_dialogue, name="review-dialogue"),
    path("<str:name>/dialogues/<int:pk>/history/", views.dialogue_history_view, name="dialogue-history"),
    path("<str:name>/adjudication/", views.adjudication_view, name="adjudication"),
    path("<str:name>/agreement/", views.agreement_view, name="agreement"),
    path("<str:name>/auto-accept/", views.dataset_auto_accept, name="dataset-auto-accept"),
]
