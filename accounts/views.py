"""The API tokens page: a person lists, creates and revokes their own tokens; and the password reset,
whose link also unlocks a login that someone else's wrong passwords locked. Thin: forms validate,
services write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import TokenCreateForm
from accounts.selectors import api_token_get_for_user, api_token_list
from accounts.services import api_token_create, api_token_revoke, login_lockout_clear
from selflearn_site.authenticated import AuthenticatedHttpRequest
from selflearn_site.exceptions import ApplicationError


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The page shows a new key once, in the answer to the POST that created it: it is never stored,
    so it is not put in a message or a redirect either."""
    form = TokenCreateForm(request.POST or None)
    new_key, new_token = None, None
    if request.method == "POST" and form.is_valid():
        try:
            new_token, new_key = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ApplicationError as error:
            form.add_error(error.extra.get("field"), error.message)
        else:
            form = TokenCreateForm()
    return render(
        request,
        "accounts/token_list.html",
        {"tokens": api_token_list(request.user), "form": form, "new_key": new_key, "new_token": new_token},
        status=400 if request.method == "POST" and new_key is None else 200,
    )


@login_required
@require_POST
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseRedirect:
    token = api_token_get_for_user(request.user, pk)
    api_token_revoke(token=token)
    messages.success(request, f"Revoked the token {token.name!r}; its key no longer works.")
    return redirect("accounts:token-list")


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a link by email. The answer is the same whether or not an account has that address,
    so the page tells no one who has an account."""

    success_url = reverse_lazy("accounts:password-reset-done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The emailed link: a new password, the login lockout of the username cleared (the link proves
    the owner), and the person logged in."""

    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("annotations:dataset-list")

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        login_lockout_clear(user=form.user)
        messages.success(self.request, "Your password is changed and you are logged in.")
        return response
