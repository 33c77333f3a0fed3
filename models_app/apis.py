"""REST for model versions (a person reads those learned only from datasets they belong to, as on the
pages) and for starting
labelling, training and evaluation jobs on a dataset, with the pages' roles: reviewers label and
evaluate, admins train. Every start answers 202 with the job, to follow at /api/jobs/<id>/."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api_access import dataset_for_request
from annotations.models import Dataset, Role
from jobs.serializers import JobSerializer
from models_app import job_services, selectors
from models_app.forms import PRECISION_CHOICES
from models_app.models import ModelVersion
from models_app.serializers import ModelVersionDetailSerializer, ModelVersionSerializer
from selflearn_site.api_docs import BAD_REQUEST, NOT_ALLOWED
from selflearn_site.authenticated import AuthenticatedRequest
from selflearn_site.pagination import PageNumberPagination


class ModelVersionListApi(APIView):
    pagination_class = PageNumberPagination

    class FilterSerializer(serializers.Serializer):
        name = serializers.CharField(required=False, max_length=200, help_text="A model version's name.")

    @extend_schema(
        parameters=[FilterSerializer], responses={200: ModelVersionSerializer(many=True), **BAD_REQUEST}
    )
    def get(self, request: Request) -> Response:
        """Every model version, newest first, with its metrics."""
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        models = selectors.model_version_list(request.user)
        if "name" in filters.validated_data:
            models = models.filter(name=filters.validated_data["name"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(models, request, view=self)
        return paginator.get_paginated_response(ModelVersionSerializer(page, many=True).data)


class ModelVersionDetailApi(APIView):
    @extend_schema(responses={200: ModelVersionDetailSerializer, **NOT_ALLOWED})
    def get(self, request: Request, pk: int) -> Response:
        """A model version with its metrics, inventories, configuration and held-out evaluations."""
        model_version = selectors.model_version_get(request.user, pk)
        evaluations = selectors.model_evaluations_latest(request.user, model_version)
        serializer = ModelVersionDetailSerializer(model_version, context={"evaluations": evaluations})
        return Response(serializer.data)


class ModelNameField(serializers.CharField):
    """A model version, by name."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=ModelVersion._meta.get_field("name").max_length, **kwargs)

    def run_validation(self, data=serializers.empty) -> ModelVersion:
        name = super().run_validation(data)
        # A model the person may not see reads as unknown, so that names do not leak.
        model_version = selectors.model_version_list(self.context["user"]).filter(name=name).first()
        if model_version is None:
            raise serializers.ValidationError(f"No model version named {name!r}.")
        return model_version


class ReviewableDatasetsField(serializers.ListField):
    """Datasets by name, each one the person reviews or administers; any other name reads as unknown,
    so that names do not leak."""

    def __init__(self, **kwargs) -> None:
        super().__init__(child=serializers.CharField(max_length=200), **kwargs)

    def run_validation(self, data=serializers.empty) -> list[Dataset]:
        names = super().run_validation(data)
        found = {dataset.name: dataset for dataset in selectors.datasets_reviewable_by(self.context["user"])}
        unknown = [name for name in names if name not in found]
        if unknown:
            raise serializers.ValidationError(
                f"No dataset you review is named {', '.join(repr(name) for name in unknown)}."
            )
        return [found[name] for name in dict.fromkeys(names)]


class LabellingJobCreateApi(APIView):
    class LabellingInputSerializer(serializers.Serializer):
        model = ModelNameField(help_text="The model version that labels.")
        precision = serializers.ChoiceField(choices=PRECISION_CHOICES, default="auto")

    @extend_schema(
        request=LabellingInputSerializer, responses={202: JobSerializer, **BAD_REQUEST, **NOT_ALLOWED}
    )
    def post(self, request: AuthenticatedRequest, name: str) -> Response:
        """Label the dataset with a model, in the workers (reviewers and admins). Proposals are added
        beside the labels already there; nothing is overwritten."""
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        serializer = self.LabellingInputSerializer(data=request.data, context={"user": request.user})
        serializer.is_valid(raise_exception=True)
        job = job_services.label_job_create(
            dataset=dataset,
            model_version=serializer.validated_data["model"],
            user=request.user,
            precision=serializer.validated_data["precision"],
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class TrainingJobCreateApi(APIView):
    class TrainingInputSerializer(serializers.Serializer):
        name = serializers.CharField(
            max_length=ModelVersion._meta.get_field("name").max_length, help_text="The new model's name."
        )
        datasets = ReviewableDatasetsField(
            required=False, min_length=1, help_text="Train on their gold labels (default: this dataset)."
        )
        valid_datasets = ReviewableDatasetsField(required=False, help_text="Choose the best epoch on these.")
        unlabelled_datasets = ReviewableDatasetsField(
            required=False,
            help_text="Self-training: logs read without their labels; the model's confident labels of "
            "them join the gold for more epochs.",
        )
        preset = serializers.ChoiceField(choices=job_services.TRAIN_PRESETS, default="default")
        epochs = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100)
        self_training_epochs = serializers.IntegerField(
            required=False,
            allow_null=True,
            min_value=1,
            max_value=20,
            help_text="Epochs of self-training (default 1; only with unlabelled_datasets).",
        )

    @extend_schema(
        request=TrainingInputSerializer, responses={202: JobSerializer, **BAD_REQUEST, **NOT_ALLOWED}
    )
    def post(self, request: AuthenticatedRequest, name: str) -> Response:
        """Train a new model version, in the workers (admins of this dataset; the other datasets named
        must be ones the person reviews)."""
        dataset = dataset_for_request(request, name, Role.ADMIN)
        serializer = self.TrainingInputSerializer(data=request.data, context={"user": request.user})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        datasets = data.get("datasets") or [dataset]
        job = job_services.train_job_create(
            name=data["name"].strip(),
            dataset=dataset,  # the job is filed under the dataset whose admin starts it
            datasets=sorted(datasets, key=lambda chosen: chosen.pk != dataset.pk),  # and reads it first
            valid_datasets=data.get("valid_datasets") or [],
            unlabelled_datasets=data.get("unlabelled_datasets") or [],
            user=request.user,
            preset=data["preset"],
            epochs=data.get("epochs"),
            self_training_epochs=data.get("self_training_epochs"),
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class EvaluationJobCreateApi(APIView):
    class EvaluationInputSerializer(serializers.Serializer):
        model = ModelNameField(help_text="The model version to measure against the dataset's gold labels.")

    @extend_schema(
        request=EvaluationInputSerializer, responses={202: JobSerializer, **BAD_REQUEST, **NOT_ALLOWED}
    )
    def post(self, request: AuthenticatedRequest, name: str) -> Response:
        """Evaluate a model on the dataset's gold labels, in the workers (reviewers and admins); the
        metrics are the job's result."""
        dataset = dataset_for_request(request, name, Role.REVIEWER)
        serializer = self.EvaluationInputSerializer(data=request.data, context={"user": request.user})
        serializer.is_valid(raise_exception=True)
        job = job_services.evaluate_job_create(
            dataset=dataset, model_version=serializer.validated_data["model"], user=request.user
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
