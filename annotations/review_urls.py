"""The review pages, under /datasets/<name>/ (included from selflearn_site/urls.py)."""

from django.urls import path

from annotations import review_views

app_name = "review"

urlpatterns = [
    path("<str:name>/review/", review_views.review_queue, name="review-queue"),
    path("<str:name>/review/next/", review_views.review_next_view, name="review-next"),
    path("<str:name>/review/settings/", review_views.review_settings, name="review-settings"),
    path("<str:name>/review/skips/clear/", review_views.review_skips_clear_view, name="review-skips-clear"),
    path("<str:name>/review/<int:pk>/", review_views.review_dialogue, name="review-dialogue"),
    path(
        "<str:name>/dialogues/<int:pk>/history/", review_views.dialogue_history_view, name="dialogue-history"
    ),
    path("<str:name>/adjudication/", review_views.adjudication_view, name="adjudication"),
    path("<str:name>/agreement/", review_views.agreement_view, name="agreement"),
]
