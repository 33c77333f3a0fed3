"""The rewrites page: pairs to review (accept, edit, reject) with their evidence dialogues, mining,
the blocklist, and a request to try."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from annotations.models import Dataset, Role
from annotations.permissions import role_at_least
from annotations.selectors import dataset_get_for_user, dialogue_pks_by_external_id
from rewrites import selectors, services
from rewrites.forms import BlockForm, MiningForm, TryForm
from rewrites.models import RewritePair
from selflearn_site.authenticated import AuthenticatedHttpRequest
from selflearn_site.exceptions import ApplicationError

PAGE_SIZE = 200


@require_http_methods(["GET", "POST"])
def rewrite_pairs(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    dataset = dataset_get_for_user(request.user, name)
    if request.method == "POST":
        return _act(request, dataset)
    status = request.GET.get("status", RewritePair.Status.PROPOSED)
    if status not in RewritePair.Status.values and status != "all":
        status = RewritePair.Status.PROPOSED
    pairs = list(selectors.rewrite_pair_list(dataset, None if status == "all" else status)[:PAGE_SIZE])
    dialogue_pks = dialogue_pks_by_external_id(dataset, (d for pair in pairs for d in pair.evidence))
    try_form = TryForm(request.GET if "utterance" in request.GET else None, auto_id="try_%s")
    answer = None
    if try_form.is_bound and try_form.is_valid():
        answer = services.rewrite_request(
            dataset=dataset, user_key="", utterance=try_form.cleaned_data["utterance"]
        )
    return render(
        request,
        "rewrites/rewrite_pairs.html",
        {
            "dataset": dataset,
            "pairs": [(pair, [(d, dialogue_pks.get(d)) for d in pair.evidence]) for pair in pairs],
            "status": status,
            "statuses": [*RewritePair.Status.choices, ("all", "All")],
            "counts": selectors.rewrite_pair_counts(dataset),
            "blocks": selectors.rewrite_block_list(dataset),
            "mining_form": MiningForm(),
            "try_form": try_form if try_form.is_bound else TryForm(auto_id="try_%s"),
            "block_form": BlockForm(auto_id="block_%s"),
            "answer": answer,
            "rewriter": selectors.rewriter_summary(dataset),
            "may_review": role_at_least(dataset, Role.REVIEWER),
            "may_mine": role_at_least(dataset, Role.ADMIN),
        },
    )


def _act(request: AuthenticatedHttpRequest, dataset: Dataset) -> HttpResponse:
    action = request.POST.get("action", "")
    needed = Role.ADMIN if action == "mine" else Role.REVIEWER
    if not role_at_least(dataset, needed):
        return HttpResponse(f"This needs the {needed.label.lower()} role.", status=403)
    back = redirect(f"{request.path}?status={request.POST.get('status', 'proposed')}")
    try:
        if action == "mine":
            form = MiningForm(request.POST)
            if not form.is_valid():
                raise ApplicationError("Check the mining settings: " + form.errors.as_text())
            job = services.mine_rewrites_job_create(
                dataset=dataset, user=request.user, options=services.MiningOptions(**form.cleaned_data)
            )
            return redirect("jobs:job-detail", pk=job.pk)
        if action in ("accept", "reject", "edit"):
            pair = selectors.rewrite_pair_get(dataset, int(request.POST.get("pair", "0") or 0))
            services.rewrite_pair_decide(
                pair=pair, action=action, target=request.POST.get("target"), actor=request.user
            )
            messages.success(request, f"{pair.get_status_display()}: “{pair.source}” → “{pair.target}”.")
        elif action == "block":
            block = services.rewrite_block_add(
                dataset=dataset, utterance=request.POST.get("utterance", ""), actor=request.user
            )
            messages.success(request, f"“{block.utterance}” is never rewritten now.")
        elif action == "unblock":
            services.rewrite_block_remove(
                block=selectors.rewrite_block_get(dataset, int(request.POST.get("block", "0") or 0))
            )
    except ApplicationError as error:
        messages.error(request, error.message)
    return back
