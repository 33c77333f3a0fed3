"""The teaching pages: the people of a dataset, what is known about each (correct, delete, export,
forget, try a request), guided sessions in the browser, and the question sets and rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from annotations.models import Dataset, Role
from annotations.permissions import role_at_least
from annotations.selectors import dataset_get_for_user
from selflearn_site.authenticated import AuthenticatedHttpRequest
from selflearn_site.exceptions import ApplicationError, form_field_of
from teachable import selectors, services
from teachable.forms import (
    AnswerForm,
    PreferenceForm,
    QuestionFormSet,
    QuestionSetForm,
    ResolveForm,
    StartSessionForm,
)
from teachable.payload import guided_session_turn


def _person(dataset: Dataset, user_id: str) -> str:
    """The person's key, or the page's 404."""
    try:
        return selectors.assistant_user_require(dataset, user_id)
    except ApplicationError as error:
        raise Http404(error.message) from error


@require_http_methods(["GET", "POST"])
def people_list(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    """Everyone the logs speak of; reviewers can learn the settled preference labels not learned yet."""
    dataset = dataset_get_for_user(request.user, name)
    if request.method == "POST":
        if not role_at_least(dataset, Role.REVIEWER):
            return HttpResponse("Teaching needs the reviewer role.", status=403)
        if request.POST.get("action") == "find-moments":
            try:
                job = services.find_moments_job_create(dataset=dataset, user=request.user)
            except ApplicationError as error:
                messages.error(request, error.message)
                return redirect("teachable:people-list", dataset.name)
            return redirect("jobs:job-detail", pk=job.pk)
        report = services.preferences_learn_from_labels(dataset=dataset)
        messages.success(
            request,
            f"Learned {report.learned} preference{'s' if report.learned != 1 else ''} from "
            f"{report.labels} reviewed label{'s' if report.labels != 1 else ''}"
            + (f"; {len(report.skipped)} skipped (first: {report.skipped[0]})." if report.skipped else "."),
        )
        return redirect("teachable:people-list", dataset.name)
    q = request.GET.get("q", "").strip()
    return render(
        request,
        "teachable/people_list.html",
        {
            "dataset": dataset,
            "people": selectors.assistant_users(dataset, q)[:500],
            "q": q,
            "counts": selectors.dataset_preference_counts(dataset),
            "may_teach": role_at_least(dataset, Role.REVIEWER),
        },
    )


@require_http_methods(["GET", "POST"])
def person_detail(request: AuthenticatedHttpRequest, name: str, user_id: str) -> HttpResponse:
    """What is known about one person; reviewers add, correct and delete, anyone may try a request."""
    dataset = dataset_get_for_user(request.user, name)
    user_key = _person(dataset, user_id)
    add_form = PreferenceForm(request.POST if request.POST.get("action") == "add" else None, prefix="add")
    # A moment's answer that was refused: shown again beside its moment, with why.
    moment_error: dict[str, Any] | None = None
    if request.method == "POST":
        if not role_at_least(dataset, Role.REVIEWER):
            return HttpResponse("Teaching needs the reviewer role.", status=403)
        action = request.POST.get("action")
        try:
            if action == "add" and add_form.is_valid():
                services.preference_learn(
                    dataset=dataset,
                    user_key=user_key,
                    data=services.PreferenceInput(**add_form.cleaned_data),
                    actor=request.user,
                )
                messages.success(request, "Preference saved.")
                return redirect("teachable:person-detail", dataset.name, user_key)
            if action in ("moment-confirm", "moment-dismiss"):
                moment = selectors.moment_get(dataset, int(request.POST.get("moment", "0") or 0))
                if action == "moment-dismiss":
                    services.moment_dismiss(moment=moment, actor=request.user)
                    messages.success(request, "Moment dismissed.")
                else:
                    moment = services.moment_confirm(
                        moment=moment, value=request.POST.get("value", ""), actor=request.user
                    )
                    messages.success(
                        request,
                        f"Learned {moment.key} = {moment.preference.value if moment.preference else ''}.",
                    )
                return redirect("teachable:person-detail", dataset.name, user_key)
            if action in ("correct", "delete"):
                preference = selectors.preference_get(dataset, int(request.POST.get("preference", "0") or 0))
                if action == "delete":
                    services.preference_delete(preference=preference, actor=request.user)
                    messages.success(request, f"Deleted {preference.key} = {preference.value}.")
                else:
                    correct_form = PreferenceForm(request.POST, prefix=f"p{preference.pk}")
                    if not correct_form.is_valid():
                        raise ApplicationError("Fill in domain, key and value to correct it.")
                    services.preference_correct(
                        preference=preference,
                        data=services.PreferenceInput(**correct_form.cleaned_data),
                        actor=request.user,
                    )
                    messages.success(request, "Preference corrected.")
                return redirect("teachable:person-detail", dataset.name, user_key)
        except ApplicationError as error:
            if action == "add":
                add_form.add_error(form_field_of(error, add_form), error.message)
            elif action == "moment-confirm" and error.status == 400:
                moment_error = {
                    "pk": int(request.POST.get("moment", "0") or 0),
                    "message": error.message,
                    "value": request.POST.get("value", ""),
                }
            else:
                messages.error(request, error.message)
                return redirect("teachable:person-detail", dataset.name, user_key)
    resolve_form = ResolveForm(request.GET if "intent" in request.GET else None)
    resolution = None
    if resolve_form.is_bound and resolve_form.is_valid():
        resolution = selectors.reading_resolve(
            dataset, user_key, resolve_form.cleaned_data["intent"], resolve_form.cleaned_data["slots"]
        )
    preferences = list(selectors.preference_list(dataset, user_key))
    return render(
        request,
        "teachable/person_detail.html",
        {
            "dataset": dataset,
            "user_key": user_key,
            "preferences": [(p, PreferenceForm(prefix=f"p{p.pk}", initial=p.as_dict())) for p in preferences],
            "events": selectors.preference_events(dataset, user_key)[:50],
            "sessions": selectors.guided_session_list(dataset, user_key)[:20],
            "moments": selectors.moment_list(dataset, user_key)[:50],
            "add_form": add_form,
            "start_form": StartSessionForm(
                question_sets=[s.name for s in selectors.question_set_list(dataset)]
            ),
            "resolve_form": resolve_form if resolve_form.is_bound else ResolveForm(),
            "resolution": resolution,
            "may_teach": role_at_least(dataset, Role.REVIEWER),
            "may_forget": role_at_least(dataset, Role.ADMIN),
            "moment_error": moment_error,
        },
        status=400 if add_form.errors or moment_error else 200,
    )


def person_export(request: AuthenticatedHttpRequest, name: str, user_id: str) -> HttpResponse:
    """Everything kept about the person, as a JSON download."""
    dataset = dataset_get_for_user(request.user, name)
    user_key = _person(dataset, user_id)
    response = JsonResponse(selectors.user_record(dataset, user_key), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{dataset.name}-{user_key}.json"'
    return response


@require_POST
def person_forget(request: AuthenticatedHttpRequest, name: str, user_id: str) -> HttpResponse:
    dataset = dataset_get_for_user(request.user, name, minimum_role=Role.ADMIN)
    user_key = _person(dataset, user_id)
    deleted = services.user_forget(dataset=dataset, user_key=user_key)
    messages.success(
        request,
        f"Forgot {user_key}: {deleted['preferences']} preferences and {deleted['sessions']} sessions "
        "deleted.",
    )
    return redirect("teachable:people-list", dataset.name)


@require_POST
def guided_start(request: AuthenticatedHttpRequest, name: str, user_id: str) -> HttpResponse:
    dataset = dataset_get_for_user(request.user, name, minimum_role=Role.REVIEWER)
    user_key = _person(dataset, user_id)
    form = StartSessionForm(
        request.POST, question_sets=[s.name for s in selectors.question_set_list(dataset)]
    )
    if not form.is_valid():
        messages.error(request, "Choose a question set (an admin creates them on the Teaching page).")
        return redirect("teachable:person-detail", dataset.name, user_key)
    session = services.guided_session_start(
        dataset=dataset,
        user_key=user_key,
        question_set=selectors.question_set_get(dataset, form.cleaned_data["question_set"]),
        actor=request.user,
    )
    return redirect("teachable:guided-session", dataset.name, user_key, session.pk)


@require_http_methods(["GET", "POST"])
def guided_session(request: AuthenticatedHttpRequest, name: str, user_id: str, pk: int) -> HttpResponse:
    """One guided session as a chat: the prompt, the answer box, Skip and Stop."""
    dataset = dataset_get_for_user(request.user, name)
    session = selectors.guided_session_get(dataset, pk)
    if session.user_key != user_id:
        return redirect("teachable:guided-session", dataset.name, session.user_key, session.pk)
    form = AnswerForm(request.POST or None)
    if request.method == "POST":
        if not role_at_least(dataset, Role.REVIEWER):
            return HttpResponse("Teaching needs the reviewer role.", status=403)
        answer = request.POST.get("quick") or (form.cleaned_data["answer"] if form.is_valid() else None)
        if answer:
            try:
                services.guided_session_answer(session=session, answer=answer, actor=request.user)
            except ApplicationError as error:
                messages.error(request, error.message)
            return redirect("teachable:guided-session", dataset.name, session.user_key, session.pk)
    return render(
        request,
        "teachable/guided_session.html",
        {
            "dataset": dataset,
            "user_key": session.user_key,
            "turn": guided_session_turn(session),
            "form": AnswerForm(),
            "may_teach": role_at_least(dataset, Role.REVIEWER),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def teaching_settings(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    """Question sets and resolution rules; admins edit a set (or start from the defaults)."""
    dataset = dataset_get_for_user(request.user, name)
    editing = request.GET.get("set") or request.POST.get("name") or ""
    existing = next((s for s in selectors.question_set_list(dataset) if s.name == editing), None)
    initial_questions = []
    if existing is not None:
        initial_questions = [
            {
                "key": q.key,
                "domain": q.domain,
                "text": q.text,
                "confirm": q.confirm,
                "answer_type": q.answer_type,
                "catalogue": q.catalogue.name if q.catalogue else "",
                "next": q.next_question.key if q.next_question else "",
            }
            for q in existing.questions.select_related("catalogue", "next_question").order_by("id")
        ]
    set_form = QuestionSetForm(
        request.POST or None, initial={"name": editing, "domain": existing.domain if existing else ""}
    )
    formset = QuestionFormSet(request.POST or None, initial=initial_questions, prefix="q")
    if request.method == "POST":
        if not role_at_least(dataset, Role.ADMIN):
            return HttpResponse("Editing question sets needs the admin role.", status=403)
        if request.POST.get("action") == "defaults":
            services.teachable_dataset_prepare(dataset=dataset)
            messages.success(request, "The default question set and rules are in place.")
            return redirect("teachable:teaching-settings", dataset.name)
        if set_form.is_valid() and formset.is_valid():
            rows = [row for row in formset.cleaned_data if row and not row.get("DELETE")]
            try:
                services.question_set_save(
                    dataset=dataset,
                    name=set_form.cleaned_data["name"],
                    domain=set_form.cleaned_data["domain"],
                    questions=[
                        services.QuestionInput(
                            key=row["key"],
                            text=row["text"],
                            confirm=row.get("confirm", ""),
                            domain=row.get("domain", ""),
                            answer_type=row["answer_type"],
                            catalogue=row.get("catalogue") or None,
                            next_key=row.get("next") or None,
                        )
                        for row in rows
                    ],
                )
            except ApplicationError as error:
                set_form.add_error(None, error.message)
            else:
                messages.success(request, f"Saved the question set {set_form.cleaned_data['name']}.")
                return redirect("teachable:teaching-settings", dataset.name)
    return render(
        request,
        "teachable/teaching_settings.html",
        {
            "dataset": dataset,
            "question_sets": selectors.question_set_list(dataset),
            "rules": selectors.resolution_rule_list(dataset),
            "catalogues": selectors.catalogue_list(),
            "set_form": set_form,
            "formset": formset,
            "editing": editing,
            "may_edit": role_at_least(dataset, Role.ADMIN),
        },
        status=400 if request.method == "POST" else 200,
    )
