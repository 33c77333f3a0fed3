"""The review pages: the queue, the review page itself, a dialogue's history, the adjudication list,
the agreement statistics and the auto-accept rules. Thin: read through selectors, write through
services, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotations import selectors
from annotations.models import MAX_REQUIRED_REVIEWS, Role
from annotations.services import dataset_counts_ensure
from review import charts, quality
from review.forms import AutoAcceptRulesForm
from review.models import Adjudication
from review.rules import REJECTED, verdict_key
from review.selectors import (
    adjudication_get,
    adjudication_list,
    auto_accept_thresholds,
    dataset_agreement,
    dialogue_history,
    review_dialogue_get,
    review_page_data,
    review_queue_summary,
)
from review.services.adjudication import adjudication_decide, dataset_required_reviews_set
from review.services.auto_accept import auto_accept_rules_set
from review.services.locks import review_lock_claim
from review.services.queue import QueuePolicy, review_leave, review_next, review_skips_clear
from selflearn_site.authenticated import AuthenticatedHttpRequest
from selflearn_site.exceptions import ApplicationError

ADJUDICATIONS_PER_PAGE = 25


def _policy(request: HttpRequest) -> str:
    policy = request.POST.get("policy") or request.GET.get("policy") or QueuePolicy.LEAST_CONFIDENT
    return policy if policy in QueuePolicy.values else QueuePolicy.LEAST_CONFIDENT


@login_required
@require_GET
def review_queue(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    """Where a reviewer starts: what is left, the policy to take dialogues by, and for admins the
    number of independent reviews each label needs."""
    dataset = selectors.dataset_get_for_user(request.user, name, minimum_role=Role.REVIEWER)
    return render(
        request,
        "review/review_queue.html",
        {
            "dataset": dataset,
            "summary": review_queue_summary(dataset, request.user),
            "policies": QueuePolicy.choices,
            "policy": _policy(request),
            "is_admin": dataset.user_role == Role.ADMIN,
            "max_required_reviews": MAX_REQUIRED_REVIEWS,
        },
    )


@login_required
@require_POST
def review_next_view(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    """Hold the next dialogue for the reviewer and go to it (leaving the one they were on, if any)."""
    dataset = selectors.dataset_get_for_user(request.user, name, minimum_role=Role.REVIEWER)
    policy = _policy(request)
    leave = request.POST.get("leave", "")
    if leave.isdigit():
        review_leave(dialogue_id=review_dialogue_get(dataset, int(leave)).pk, reviewer=request.user)
    dialogue_id = review_next(dataset=dataset, reviewer=request.user, policy=policy)
    if dialogue_id is None:
        if not selectors.dataset_has_proposals(dataset):
            label_url = reverse("models_app:dataset-label", args=[dataset.name])
            messages.warning(
                request,
                format_html(
                    '{} has no labels to review yet. <a href="{}">Label it with a model</a> (a job in '
                    "the background); its proposals then wait here for you.",
                    dataset.name,
                    label_url,
                ),
            )
        else:
            messages.success(request, "Nothing is left for you to review in this dataset.")
        return redirect(f"{reverse('review:review-queue', args=[dataset.name])}?policy={policy}")
    return redirect(f"{reverse('review:review-dialogue', args=[dataset.name, dialogue_id])}?policy={policy}")


@login_required
@require_GET
def review_dialogue(request: AuthenticatedHttpRequest, name: str, pk: int) -> HttpResponse:
    """The review page. Opening it holds the dialogue for the reviewer unless someone else holds it."""
    dataset = selectors.dataset_get_for_user(request.user, name, minimum_role=Role.REVIEWER)
    dialogue = review_dialogue_get(dataset, pk)
    review_lock_claim(dialogue_id=dialogue.pk, reviewer=request.user)
    data = review_page_data(dialogue=dialogue, reviewer=request.user)
    urls = {
        "decision": reverse("api-review-decision", args=[dataset.name, 0]),
        "accept_all": reverse("api-review-accept-all", args=[dataset.name, dialogue.pk]),
        "create": reverse("api-review-label-create", args=[dataset.name, dialogue.pk]),
        "undo": reverse("api-review-undo", args=[dataset.name, dialogue.pk]),
        "history": reverse("review:dialogue-history", args=[dataset.name, dialogue.pk]),
    }
    return render(
        request,
        "review/review_dialogue.html",
        {
            "dataset": dataset,
            "dialogue": dialogue,
            "data": data,
            "urls": urls,
            "policy": _policy(request),
        },
    )


@login_required
@require_POST
def review_settings(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    dataset = selectors.dataset_get_for_user(request.user, name, minimum_role=Role.ADMIN)
    raw = request.POST.get("required_reviews", "")
    try:
        dataset_required_reviews_set(dataset=dataset, required_reviews=int(raw) if raw.isdigit() else -1)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Each label of {dataset} now needs {dataset.required_reviews} review(s).")
    return redirect("review:review-queue", name=dataset.name)


@login_required
@require_POST
def review_skips_clear_view(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    dataset = selectors.dataset_get_for_user(request.user, name, minimum_role=Role.REVIEWER)
    cleared = review_skips_clear(dataset=dataset, reviewer=request.user)
    messages.success(request, f"The queue will offer you the {cleared} dialogue(s) you skipped again.")
    return redirect("review:review-queue", name=dataset.name)


@login_required
@require_GET
def dialogue_history_view(request: AuthenticatedHttpRequest, name: str, pk: int) -> HttpResponse:
    """Every decision on the dialogue: who, when, what it was before and what it became."""
    dataset = selectors.dataset_get_for_user(request.user, name)
    dialogue = review_dialogue_get(dataset, pk)
    return render(
        request,
        "review/dialogue_history.html",
        {"dataset": dataset, "dialogue": dialogue, "events": dialogue_history(dialogue)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def adjudication_view(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    """The labels whose independent reviews disagree; a dataset admin settles each."""
    dataset = selectors.dataset_get_for_user(request.user, name, minimum_role=Role.ADMIN)
    if request.method == "POST":
        adjudication = adjudication_get(dataset, _int(request.POST.get("adjudication")))
        choice = request.POST.get("choice", "")
        try:
            verdict, value = _chosen_verdict(adjudication, choice)
            adjudication_decide(adjudication=adjudication, admin=request.user, verdict=verdict, value=value)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Settled label {adjudication.label_id}.")
        return redirect("review:adjudication", name=dataset.name)
    page = Paginator(adjudication_list(dataset), ADJUDICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "review/adjudication.html",
        {"dataset": dataset, "page": page, "rows": [_adjudication_row(item) for item in page.object_list]},
    )


def _int(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 19 else 0


def _adjudication_row(adjudication: Adjudication) -> dict[str, Any]:
    """The label and its distinct verdicts, each with who gave it, as the choices for the admin."""
    label = adjudication.label
    choices: dict[str, dict[str, Any]] = {}
    for review in label.reviews.all():
        key = verdict_key(label.kind, review.decision, review.value)
        choice = choices.setdefault(
            key, {"key": key, "rejected": key == REJECTED, "value": review.value, "who": []}
        )
        choice["who"].append(review.reviewer.get_username() if review.reviewer else "(deleted)")
    return {"adjudication": adjudication, "label": label, "choices": list(choices.values())}


def _chosen_verdict(adjudication: Adjudication, choice: str) -> tuple[str, Any]:
    if choice == REJECTED:
        return "reject", None
    for review in adjudication.label.reviews.all():
        if verdict_key(adjudication.label.kind, review.decision, review.value) == choice:
            return "gold", review.value
    raise ApplicationError("Choose one of the reviewers' verdicts.", extra={"field": "choice"})


@login_required
@require_GET
def agreement_view(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    """The quality dashboard: agreement, the model against reviewers, reviewers by day, the logs'
    failures and model versions compared on the dataset's gold."""
    dataset = selectors.dataset_get_for_user(request.user, name)
    dataset_counts_ensure(datasets=[dataset])
    rows = dataset_agreement(dataset)
    kinds = quality.model_quality(dataset, dataset.stats)
    activity = quality.review_activity(dataset)
    failures = quality.failure_quality(dataset.stats)
    comparison = quality.model_comparison(dataset, chosen=request.GET.getlist("model"))
    return render(
        request,
        "review/agreement.html",
        {
            "dataset": dataset,
            "rows": rows,
            "has_gold": any(row.gold for row in rows),
            "kinds": kinds,
            "activity": activity,
            "failures": failures,
            "max_periods": quality.MAX_PERIODS,
            "comparison": comparison,
            "charts": {
                "accuracy": charts.accuracy_chart(kinds),
                "reliability": charts.reliability_chart(kinds),
                "activity": charts.activity_chart(activity),
                "failures": charts.failures_chart(failures),
                "intents": charts.intents_chart(failures),
                "comparison": charts.comparison_chart(comparison),
                "gold_reliability": charts.gold_reliability_chart(comparison.calibration),
            },
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def dataset_auto_accept(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    """The dataset's auto-accept thresholds, one per label kind: admins only."""
    dataset = selectors.dataset_get_for_user(request.user, name, minimum_role=Role.ADMIN)
    current = auto_accept_thresholds(dataset)
    use = request.POST.get("use", "")
    if request.method == "POST" and use:
        # A "Use" button of the curve's table: that kind's threshold alone, the others unchanged.
        kind, _, raw = use.partition(":")
        try:
            auto_accept_rules_set(dataset=dataset, thresholds={kind: float(raw)})
        except (ApplicationError, ValueError):
            messages.error(request, "Choose a threshold from the table.")
        else:
            messages.success(
                request, f"Auto-accept of {kind.replace('_', ' ')} now at or above {float(raw):.2f}."
            )
        return redirect("review:dataset-auto-accept", name=dataset.name)
    form = AutoAcceptRulesForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            auto_accept_rules_set(dataset=dataset, thresholds=form.cleaned_data)
        except ApplicationError as error:
            form.add_error(error.extra.get("field"), error.message)
        else:
            messages.success(request, f"Saved the auto-accept rules of {dataset}.")
            return redirect("review:dataset-auto-accept", name=dataset.name)
    dataset_counts_ensure(datasets=[dataset])
    kinds = quality.model_quality(dataset, dataset.stats)
    return render(
        request,
        "review/dataset_auto_accept.html",
        {
            "dataset": dataset,
            "form": form,
            "kinds": kinds,
            "current": current,
            "curve_chart": charts.precision_coverage_chart(kinds),
            "few_reviews": quality.FEW_REVIEWS,
        },
        status=400 if request.method == "POST" else 200,
    )
