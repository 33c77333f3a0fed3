"""The dataset pages. Thin: read through selectors, write through services, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from annotations import selectors
from annotations.conversation import conversation_build
from annotations.formats.dialogue_format import FAILURE_POINTS
from annotations.formats.export_formats import EXPORT_FORMATS
from annotations.formats.streaming import export_response
from annotations.forms import (
    DatasetCreateForm,
    ImportForm,
    MemberAddForm,
    MemberRemoveForm,
    MemberRoleForm,
)
from annotations.models import Dataset, LabelKind, LabelSource, LabelStatus, Membership, Role
from annotations.serializers import DialogueFilterSerializer, ExportParamsSerializer
from annotations.services import (
    dataset_counts_ensure,
    dataset_create,
    import_job_create,
    membership_add,
    membership_remove,
    membership_role_change,
)
from models_app.selectors import model_version_list
from selflearn_site.authenticated import AuthenticatedHttpRequest
from selflearn_site.exceptions import ApplicationError

DIALOGUES_PER_PAGE = 50


@login_required
@require_GET
def dataset_list(request: HttpRequest) -> HttpResponse:
    datasets = list(selectors.dataset_list_for_user(request.user))
    dataset_counts_ensure(datasets=datasets)
    return render(
        request,
        "annotations/dataset_list.html",
        {
            "datasets": datasets,
            "label_statuses": LabelStatus.choices,
            "form": DatasetCreateForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def dataset_create_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DatasetCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dataset = dataset_create(user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(error.extra.get("field"), error.message)
        else:
            messages.success(request, f"Created {dataset.name}; you are its admin.")
            return redirect("annotations:dataset-detail", name=dataset.name)
    return render(request, "annotations/dataset_create.html", {"form": form})


@login_required
@require_GET
def dataset_detail(request: HttpRequest, name: str) -> HttpResponse:
    dataset = selectors.dataset_get_for_user(request.user, name)
    dataset_counts_ensure(datasets=[dataset])
    # The form sends its empty fields; the serializer (the API's label filters) wants them absent.
    params = DialogueFilterSerializer(data=_present(request.GET))
    valid = params.is_valid()
    page, q, filtered = None, "", False
    if valid:
        q = params.validated_data.get("q", "").strip()
        dialogue_filter = params.validated_data["dialogue_filter"]
        filtered = not dialogue_filter.is_empty or params.validated_data["changed_since"] is not None
        dialogues = selectors.dialogue_list_filtered(
            dataset,
            q=q,
            dialogue_filter=dialogue_filter,
            changed_since=params.validated_data["changed_since"],
        )
        page = selectors.dialogue_page(
            dialogues, after=params.validated_data.get("after"), size=DIALOGUES_PER_PAGE
        )
    return render(
        request,
        "annotations/dataset_detail.html",
        {
            "dataset": dataset,
            "page": page,
            "q": q,
            "filtered": filtered,
            "filter_values": request.GET,
            "filter_errors": _error_texts(params.errors) if not valid else {},
            "failure_points": FAILURE_POINTS,
            "query_without_after": _without(request.GET, "after"),
            "is_admin": dataset.user_role == Role.ADMIN,
            "overview": selectors.dataset_stats_overview(dataset.stats),
            **_export_context(dataset, request.user),
        },
        status=200 if valid else 400,
    )


def _present(values: QueryDict) -> QueryDict:
    """The query's parameters that carry a value (a form sends its empty fields too)."""
    present = QueryDict(mutable=True)
    for key, items in values.lists():
        kept = [item for item in items if item.strip()]
        if kept:
            present.setlist(key, kept)
    return present


def _without(values: QueryDict, key: str) -> str:
    kept = _present(values)
    kept.pop(key, None)
    return kept.urlencode()


def _error_texts(errors: Any) -> dict[str, str]:
    return {field: " ".join(str(error) for error in texts) for field, texts in errors.items()}


def _export_context(
    dataset: Dataset, user: User | AnonymousUser, values: QueryDict | None = None
) -> dict[str, Any]:
    """What the export form offers: formats, label sets (the model versions the person may see),
    kinds, statuses, sources and the dataset's members as reviewers; ``values`` fills it in again
    after an error."""
    return {
        "export_formats": [(name, each.extension) for name, each in EXPORT_FORMATS.items()],
        "export_models": model_version_list(user).values_list("name", flat=True),
        "export_kinds": LabelKind.choices,
        "export_statuses": LabelStatus.choices,
        "export_sources": LabelSource.choices,
        "export_reviewers": selectors.membership_list(dataset).values_list("user__username", flat=True),
        "export_values": values if values is not None else QueryDict(),
    }


@login_required
@require_GET
def dataset_export(request: HttpRequest, name: str) -> HttpResponse | StreamingHttpResponse:
    """The download on the dataset page: the API's export (the same parameters, validation and
    streaming code), for every member (viewers export, as the Members page says)."""
    dataset = selectors.dataset_get_for_user(request.user, name)
    params = ExportParamsSerializer(data=_present(request.GET))
    if params.is_valid():
        return export_response(dataset, params.validated_data)
    errors = _error_texts(params.errors)
    return render(
        request,
        "annotations/dataset_export.html",
        {"dataset": dataset, "export_errors": errors, **_export_context(dataset, request.user, request.GET)},
        status=400,
    )


@login_required
@require_GET
def dialogue_detail(request: HttpRequest, name: str, dialogue_id: str) -> HttpResponse:
    """A dialogue by its own id in the dataset (``sim-7-000002``), as the logs and exports name it.
    Links made when the page took the database number still arrive: a number that is no dialogue's id
    redirects to the page of the dialogue with that number."""
    dataset = selectors.dataset_get_for_user(request.user, name)
    try:
        dialogue = selectors.dialogue_get_with_labels(dataset, external_id=dialogue_id)
    except Http404:
        moved = selectors.dialogue_external_id(dataset, int(dialogue_id)) if dialogue_id.isdigit() else None
        if moved is None:
            raise
        return redirect("annotations:dialogue-detail", dataset.name, moved)
    return render(
        request,
        "annotations/dialogue_detail.html",
        {"dataset": dataset, "dialogue": dialogue, "conversation": conversation_build(dialogue)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def dataset_import(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    dataset = selectors.dataset_get_for_user(request.user, name, minimum_role=Role.ADMIN)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                dataset=dataset,
                upload=form.cleaned_data["file"],
                user=request.user,
                on_duplicate=form.cleaned_data["on_duplicate"],
                skip_invalid=form.cleaned_data["skip_invalid"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            return redirect("jobs:job-detail", pk=job.pk)
    return render(request, "annotations/dataset_import.html", {"dataset": dataset, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def dataset_members(request: HttpRequest, name: str) -> HttpResponse:
    """Every member sees who else is in the dataset; only its admins change anything."""
    minimum_role = Role.ADMIN if request.method == "POST" else Role.VIEWER
    dataset = selectors.dataset_get_for_user(request.user, name, minimum_role=minimum_role)
    add_form = MemberAddForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add":
                add_form = MemberAddForm(request.POST)
                if add_form.is_valid():
                    membership = membership_add(
                        dataset=dataset,
                        username=add_form.cleaned_data["username"],
                        role=Role(add_form.cleaned_data["role"]),
                    )
                    messages.success(request, f"{membership.user} is now {membership.role} of {dataset}.")
                    return redirect("annotations:dataset-members", name=dataset.name)
            elif action == "role":
                form = MemberRoleForm(request.POST)
                if form.is_valid():
                    membership = _membership_or_404(dataset, form.cleaned_data["membership"])
                    membership_role_change(membership=membership, role=Role(form.cleaned_data["role"]))
                    messages.success(request, f"{membership.user} is now {form.cleaned_data['role']}.")
                    return redirect("annotations:dataset-members", name=dataset.name)
                messages.error(request, "Choose a valid role.")
            elif action == "remove":
                remove_form = MemberRemoveForm(request.POST)
                if remove_form.is_valid():
                    membership = _membership_or_404(dataset, remove_form.cleaned_data["membership"])
                    membership_remove(dataset=dataset, user=membership.user)
                    messages.success(request, f"Removed {membership.user} from {dataset}.")
                    if membership.user_id == request.user.pk and not request.user.is_superuser:
                        return redirect("annotations:dataset-list")
                    return redirect("annotations:dataset-members", name=dataset.name)
            else:
                messages.error(request, "Unknown action.")
        except ApplicationError as error:
            if action == "add":
                add_form.add_error(error.extra.get("field"), error.message)
            else:
                messages.error(request, error.message)
    return render(
        request,
        "annotations/dataset_members.html",
        {
            "dataset": dataset,
            "memberships": selectors.membership_list(dataset),
            "add_form": add_form,
            "roles": Role.choices,
            "is_admin": dataset.user_role == Role.ADMIN,
        },
        status=400 if request.method == "POST" else 200,
    )


def _membership_or_404(dataset: object, membership_pk: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), pk=membership_pk, dataset=dataset)
