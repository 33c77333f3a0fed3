"""The model pages, and the dataset pages that start labelling and training. Thin: read through
selectors, start jobs through the job services, redirect to the job's page."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from annotations.models import Role
from annotations.selectors import dataset_get_for_user
from models_app import job_services, selectors
from models_app.forms import PRESET_CHOICES, EvaluateForm, LabelForm, TrainForm
from models_app.ml.hardware import cpu_info
from selflearn_site.authenticated import AuthenticatedHttpRequest
from selflearn_site.exceptions import ApplicationError, form_field_of


@login_required
@require_GET
def model_list(request: HttpRequest) -> HttpResponse:
    models = [
        (model, selectors.headline_metrics(model)) for model in selectors.model_version_list(request.user)
    ]
    return render(
        request,
        "models_app/model_list.html",
        {"models": models, "metric_names": [label for _, label in selectors.HEADLINE_METRICS]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def model_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The model's metrics and inventories; reviewers and admins of a dataset may evaluate it there."""
    model = selectors.model_version_get(request.user, pk)
    form = EvaluateForm(request.POST or None, datasets=selectors.datasets_reviewable_by(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            job = job_services.evaluate_job_create(
                dataset=form.cleaned_data["dataset"], model_version=model, user=request.user
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            return redirect("jobs:job-detail", pk=job.pk)
    inventories = model.inventories if isinstance(model.inventories, dict) else {}
    evaluations = selectors.model_evaluation_rows(request.user, model)
    return render(
        request,
        "models_app/model_detail.html",
        {
            "model": model,
            "training": selectors.training_run(model),
            "headline": selectors.headline_metrics(model),
            "evaluation_columns": [label for _key, label in selectors.EVALUATION_METRICS],
            "evaluations": evaluations,
            "calibration": selectors.calibration_table(evaluations),
            "calibration_limits": {
                "calibrated": selectors.CALIBRATED_ECE,
                "miscalibrated": selectors.MISCALIBRATED_ECE,
                "few": selectors.FEW_PREDICTIONS,
            },
            "metrics_json": json.dumps(model.metrics, indent=2, sort_keys=True),
            "inventories": sorted(inventories.items()),
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def dataset_label(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    """Label the dataset with a model, in the workers: reviewers and admins."""
    dataset = dataset_get_for_user(request.user, name, minimum_role=Role.REVIEWER)
    form = LabelForm(request.POST or None, model_versions=selectors.model_version_list(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            job = job_services.label_job_create(
                dataset=dataset,
                model_version=form.cleaned_data["model_version"],
                user=request.user,
                precision=form.cleaned_data["precision"],
            )
        except ApplicationError as error:
            form.add_error(form_field_of(error, form), error.message)
        else:
            return redirect("jobs:job-detail", pk=job.pk)
    return render(
        request,
        "models_app/dataset_label.html",
        {"dataset": dataset, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def dataset_train(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    """Train a model on this dataset (and others the person reviews), in the workers: admins only."""
    dataset = dataset_get_for_user(request.user, name, minimum_role=Role.ADMIN)
    form = TrainForm(
        request.POST or None,
        datasets=selectors.datasets_reviewable_by(request.user),
        initial={"datasets": [dataset.pk]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = job_services.train_job_create(
                name=form.cleaned_data["name"],
                dataset=dataset,  # the job is filed under the dataset whose admin starts it
                datasets=sorted(form.cleaned_data["datasets"], key=lambda chosen: chosen.pk != dataset.pk),
                valid_datasets=list(form.cleaned_data["valid_datasets"]),
                unlabelled_datasets=list(form.cleaned_data["unlabelled_datasets"]),
                user=request.user,
                preset=form.cleaned_data["preset"],
                epochs=form.cleaned_data["epochs"],
                self_training_epochs=form.cleaned_data["self_training_epochs"],
            )
        except ApplicationError as error:
            form.add_error(form_field_of(error, form), error.message)
        else:
            return redirect("jobs:job-detail", pk=job.pk)
    cpu = cpu_info()
    labels = dict(PRESET_CHOICES)
    return render(
        request,
        "models_app/dataset_train.html",
        {
            "dataset": dataset,
            "form": form,
            "cpu": cpu,
            "preset_costs": [(labels[cost.preset], cost) for cost in selectors.preset_costs(cpu)],
        },
        status=400 if request.method == "POST" else 200,
    )
