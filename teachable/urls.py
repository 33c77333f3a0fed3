"""The teaching pages, under /datasets/<name>/people/ and /datasets/<name>/teaching/."""

from django.urls import path

from teachable import views

app_name = "teachable"

urlpatterns = [
    path("<str:name>/people/", views.people_list, name="people-list"),
    path("<str:name>/people/<person:user_id>/", views.person_detail, name="person-detail"),
    path("<str:name>/people/<person:user_id>/export/", views.person_export, name="person-export"),
    path("<str:name>/people/<person:user_id>/forget/", views.person_forget, name="person-forget"),
    path("<str:name>/people/<person:user_id>/teach/", views.guided_start, name="guided-start"),
    path("<str:name>/people/<person:user_id>/teach/<int:pk>/", views.guided_session, name="guided-session"),
    path("<str:name>/teaching/", views.teaching_settings, name="teaching-settings"),
]
