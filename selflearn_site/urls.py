from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="annotations:dataset-list", permanent=False)),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("datasets/", include("annotations.urls")),
    # The review queue, review page, history, adjudication, agreement and auto-accept (app "review").
    path("datasets/", include("review.urls")),
    # The people of a dataset and what they taught; question sets and rules (app "teachable").
    path("datasets/", include("teachable.urls")),
    # Rewrite pairs mined from rephrases: review, mining, blocklist (app "rewrites").
    path("datasets/", include("rewrites.urls")),
    path("jobs/", include("jobs.urls")),
    # /models/ and /models/<pk>/, and /datasets/<name>/label/ and /train/ (app_name "models_app").
    path("", include("models_app.urls")),
    path("api/", include("selflearn_site.api_urls")),
    path("account/", include("accounts.urls")),
]

# Under /api/, a URL that matches no route answers JSON like every other API error.
handler404 = "selflearn_site.error_views.page_not_found"
handler400 = "selflearn_site.error_views.bad_request"
