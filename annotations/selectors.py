"""Reads for datasets and dialogues: each returns what a page needs in a fixed number of queries,
whatever the size of the dataset or the length of the dialogue."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from annotations.formats.export_dicts import iter_export_dicts
from annotations.formats.exporting import LabelSelection
from annotations.label_filters import (
    DialogueFilter,
    LabelFilter,
    dialogues_changed_since_q,
    labels_changed_since_q,
)
from annotations.models import (
    REVIEWED_STATUSES,
    Dataset,
    DatasetStats,
    Dialogue,
    Invitation,
    Label,
    LabelKind,
    LabelSource,
    LabelStatus,
    Membership,
    Role,
    Turn,
)
from annotations.permissions import ROLE_RANK
from annotations.turn_search import dialogues_saying_q
from selflearn_site.prepared import PreparedRead

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class DatasetRole(TypedDict):
    """What ``dataset_get_for_user`` annotates: the person's role (a ``Role`` value)."""

    user_role: str | None


class DialogueLabels(TypedDict):
    """What ``dialogue_get_with_labels`` prefetches onto the dialogue."""

    all_labels: list[Label]


def _count_of(queryset: QuerySet[Model], group_by: str) -> Coalesce:
    """A correlated COUNT(*) subquery of ``queryset`` (already filtered on OuterRef), 0 when empty."""
    counted = queryset.order_by().values(group_by).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _role_subquery(user: User) -> Subquery | Value:
    if user.is_superuser:
        return Value(Role.ADMIN.value)
    return _member_role(user.pk)


def _member_role(user_pk: int) -> Subquery:
    return Subquery(Membership.objects.filter(dataset=OuterRef("pk"), user_id=user_pk).values("role")[:1])


def dataset_list_for_user(user: User | AnonymousUser) -> QuerySet[Dataset]:
    """The datasets the person belongs to (every dataset for a superuser), each with its ``user_role``
    and its kept counts (``stats``, None until first counted).

    Whether a label changed since the counts were made is ``datasets_changed_since_counted``'s
    question, not a subquery here."""
    if not user.is_authenticated:
        return Dataset.objects.none()
    datasets = Dataset.objects.all()
    if not user.is_superuser:
        datasets = datasets.filter(Exists(Membership.objects.filter(dataset=OuterRef("pk"), user=user)))
    return datasets.select_related("stats").annotate(user_role=_role_subquery(user)).order_by("name")


def datasets_changed_since_counted(datasets: Iterable[Dataset]) -> set[int]:
    """The pks of those datasets with a label changed after their kept counts were made (datasets not
    counted yet are not asked about), in one query.

    Each dataset's time goes to the database as a value, one range of the ``updated_at`` index per
    dataset: compared with the stats' column in a subquery, PostgreSQL could not tell how few labels
    are that new and scanned all 36 M labels at a million dialogues (3.8 s for the datasets list,
    against 0.05 ms through the index). The changes since a count are few (a worker recounts a
    dataset found behind), so reading them all costs little."""
    since = Q()
    for dataset in datasets:
        stats = getattr(dataset, "stats", None)
        if stats is not None:
            # The changed labels first (an IN list read from the index), then their dialogues: as a
            # join, SQLite walked every dialogue of the dataset probing its labels (2.2 s at 100,000).
            recent = Label.objects.filter(updated_at__gt=stats.computed_at).order_by().values("dialogue_id")
            since |= Q(dataset_id=dataset.pk, pk__in=recent)
    if not since:
        return set()
    changed = Dialogue.objects.filter(since).order_by().values_list("dataset_id", flat=True)
    return set(changed.distinct())


def dataset_get_for_user(
    user: User | AnonymousUser, name: str, minimum_role: Role = Role.VIEWER
) -> WithAnnotations[Dataset, DatasetRole]:
    """The dataset, with the person's role as ``user_role``, in one query.

    Strangers get Http404 (not 403), so dataset names do not leak; members with too low a role get
    PermissionDenied.
    """
    if not user.is_authenticated:
        raise Http404("No such dataset.")
    # Every API request asks it, so its SQL is compiled once per process (selflearn_site.prepared).
    if user.is_superuser:
        found = _dataset_for_superuser.instances(name)
    else:
        found = _dataset_for_member.instances(name, user.pk)
    dataset = cast("WithAnnotations[Dataset, DatasetRole] | None", found[0] if found else None)
    if dataset is None or dataset.user_role is None:
        raise Http404("No such dataset.")
    if ROLE_RANK[Role(dataset.user_role)] < ROLE_RANK[minimum_role]:
        raise PermissionDenied(f"This needs the {minimum_role.label.lower()} role in {dataset.name}.")
    return dataset


_dataset_for_superuser = PreparedRead(
    lambda name: Dataset.objects.filter(name=name).annotate(user_role=Value(Role.ADMIN.value)).order_by()[:1],
    "name-of-no-dataset",
)
_dataset_for_member = PreparedRead(
    lambda name, user_pk: (
        Dataset.objects.filter(name=name).annotate(user_role=_member_role(user_pk)).order_by()[:1]
    ),
    "name-of-no-dataset",
    -1,
)


def dialogue_list(
    dataset: Dataset, q: str = "", dialogue_filter: DialogueFilter | None = None
) -> QuerySet[Dialogue]:
    """The dataset's dialogues in import order, each with ``turn_count``, ``label_count`` and
    ``first_utterance``; ``q`` keeps those with a turn whose utterance contains it (any case), and
    then ``first_utterance`` is the first turn that matched and ``match_turn`` its id;
    ``dialogue_filter`` keeps those with the labels it asks for."""
    dialogues = Dialogue.objects.filter(dataset=dataset)
    if dialogue_filter is not None:
        dialogues = dialogues.filter(dialogue_filter.q())
    q = q.strip()
    first_turn = Turn.objects.filter(dialogue=OuterRef("pk")).order_by("position")
    if q:
        dialogues = dialogues.filter(dialogues_saying_q(q, dataset.pk))
        # The search result shows the turn that said it, not each dialogue's opening line.
        first_turn = first_turn.filter(utterance__icontains=q)
    return dialogues.annotate(
        turn_count=_count_of(Turn.objects.filter(dialogue=OuterRef("pk")), "dialogue"),
        label_count=_count_of(Label.objects.filter(dialogue=OuterRef("pk")), "dialogue"),
        first_utterance=Subquery(first_turn.values("utterance")[:1]),
        match_turn=Subquery(first_turn.values("external_id")[:1])
        if q
        else Value(None, output_field=CharField()),
    ).order_by("id")


@dataclass(frozen=True)
class DialoguePage:
    """One page of a list read by keyset: the rows after a dialogue id, and the id to go on after
    (None on the last page). No COUNT of all matches: at 100,000 dialogues a filter or a search
    would pay for scanning them all on every page."""

    dialogues: list[Dialogue]
    next_after: int | None


def dialogue_page(dialogues: QuerySet[Dialogue], *, after: int | None, size: int) -> DialoguePage:
    """The ``size`` dialogues of ``dialogues`` (ordered by id) after the id ``after``."""
    if after is not None:
        dialogues = dialogues.filter(pk__gt=after)
    rows = list(dialogues[: size + 1])  # one more than shown says whether a next page exists
    return DialoguePage(rows[:size], rows[size - 1].pk if len(rows) > size else None)


def dialogue_get_with_labels(
    dataset: Dataset, *, pk: int | None = None, external_id: str | None = None
) -> WithAnnotations[Dialogue, DialogueLabels]:
    """One dialogue of the dataset with its turns (``turns``, by position) and all its labels
    (``all_labels``, with their model version and author): three queries, whatever its length."""
    if (pk is None) == (external_id is None):
        raise TypeError("Give exactly one of pk and external_id.")
    labels = Label.objects.select_related("model_version", "author").order_by("kind", "id")
    dialogues = Dialogue.objects.filter(dataset=dataset).prefetch_related(
        Prefetch("turns", queryset=Turn.objects.order_by("position")),
        Prefetch("labels", queryset=labels, to_attr="all_labels"),
    )
    lookup = {"pk": pk} if pk is not None else {"external_id": external_id}
    dialogue = dialogues.filter(**lookup).first()
    if dialogue is None:
        raise Http404("No such dialogue in this dataset.")
    return dialogue


def dialogue_external_id(dataset: Dataset, pk: int) -> str | None:
    """The id in the logs of the dataset's dialogue with database number ``pk``, or None."""
    found: str | None = (
        Dialogue.objects.filter(dataset=dataset, pk=pk).values_list("external_id", flat=True).first()
    )
    return found


def dataset_has_proposals(dataset: Dataset) -> bool:
    """Whether any model ever proposed a label in the dataset (an empty review queue means "all done"
    only then; before, it means "label it first")."""
    return Label.objects.filter(dialogue__dataset=dataset, source_type=LabelSource.MODEL).exists()


def membership_list(dataset: Dataset) -> QuerySet[Membership]:
    return Membership.objects.filter(dataset=dataset).select_related("user").order_by("user__username")


def invitation_list(dataset: Dataset) -> QuerySet[Invitation]:
    """The dataset's invitations not yet accepted or declined, for its admins."""
    return Invitation.objects.filter(dataset=dataset).select_related("invited_by").order_by("username")


def invitations_for_user(user: User) -> QuerySet[Invitation]:
    """The invitations waiting for the person's answer."""
    return (
        Invitation.objects.filter(username=user.get_username())
        .select_related("dataset", "invited_by")
        .order_by("-created_at", "-id")
    )


def invitation_get_for_user(user: User, pk: int) -> Invitation:
    """One of the person's own invitations; anyone else's is a 404."""
    invitation = invitations_for_user(user).filter(pk=pk).first()
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def invitation_get(dataset: Dataset, pk: int) -> Invitation:
    invitation = invitation_list(dataset).filter(pk=pk).first()
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def dialogue_list_filtered(
    dataset: Dataset,
    *,
    q: str = "",
    dialogue_filter: DialogueFilter | None = None,
    external_id: str | None = None,
    user_id: str | None = None,
    locale: str | None = None,
    changed_since: datetime | None = None,
) -> QuerySet[Dialogue]:
    """``dialogue_list`` (counts and first utterance, by id), keeping the dialogues with this
    external id, speaker key or locale, and those imported or with a label changed since a time."""
    dialogues = dialogue_list(dataset, q, dialogue_filter)
    if external_id is not None:
        dialogues = dialogues.filter(external_id=external_id)
    if user_id is not None:
        dialogues = dialogues.filter(user_key=user_id)
    if locale is not None:
        dialogues = dialogues.filter(locale=locale)
    if changed_since is not None:
        dialogues = dialogues.filter(dialogues_changed_since_q(changed_since))
    return dialogues


def label_list(
    dataset: Dataset, *, label_filter: LabelFilter | None = None, changed_since: datetime | None = None
) -> QuerySet[Label]:
    """The dataset's labels that pass the filter (and changed at or after ``changed_since``), by id,
    each with ``dialogue_external_id``, ``turn_external_id``, ``model_name`` and ``author_username``."""
    labels = Label.objects.filter(dialogue__dataset=dataset)
    if label_filter is not None:
        labels = labels.filter(label_filter.q())
    if changed_since is not None:
        labels = labels.filter(labels_changed_since_q(changed_since))
    return labels.annotate(
        dialogue_external_id=F("dialogue__external_id"),
        turn_external_id=F("turn__external_id"),
        model_name=F("model_version__name"),
        author_username=F("author__username"),
    ).order_by("id")


def assistant_user_keys(dataset: Dataset, q: str = "") -> QuerySet[Any, Any]:
    """The dataset's assistant users (the format's ``user_id``), each with ``dialogue_count``, by key;
    ``q`` keeps the keys that contain it (any case)."""
    # An empty id names no one (a person's pages and API refuse it): it is not listed either.
    dialogues = Dialogue.objects.filter(dataset=dataset, user_key__isnull=False).exclude(user_key="")
    if q:
        dialogues = dialogues.filter(user_key__icontains=q)
    return dialogues.values("user_key").annotate(dialogue_count=Count("id")).order_by("user_key")


def assistant_user_dialogues(dataset: Dataset, user_key: str) -> QuerySet[Dialogue]:
    """The dialogues of one assistant user, in import order."""
    return Dialogue.objects.filter(dataset=dataset, user_key=user_key).order_by("id")


def settled_labels_of_kind(
    dataset: Dataset, kind: str, label_ids: list[int] | None = None
) -> QuerySet[Label]:
    """The dataset's labels of ``kind`` that people settled (gold, accepted, corrected), each with its
    turn and dialogue (``user_key``) at hand; ``label_ids`` keeps only those."""
    labels = Label.objects.filter(dialogue__dataset=dataset, kind=kind, status__in=REVIEWED_STATUSES)
    if label_ids is not None:
        labels = labels.filter(pk__in=label_ids)
    return labels.select_related("turn", "dialogue").order_by("pk")


def dialogue_pks_by_external_id(dataset: Dataset, external_ids: Iterable[str]) -> dict[str, int]:
    """The primary keys of the dataset's dialogues with these external ids (one query)."""
    rows = Dialogue.objects.filter(dataset=dataset, external_id__in=set(external_ids)).values_list(
        "external_id", "pk"
    )
    return dict(rows)


def dialogue_turns(dataset: Dataset, dialogue_pks: Iterable[int]) -> QuerySet[Turn]:
    """The turns of these dialogues of the dataset, each with its dialogue at hand, in order."""
    return (
        Turn.objects.filter(dialogue__dataset=dataset, dialogue_id__in=set(dialogue_pks))
        .select_related("dialogue")
        .order_by("dialogue_id", "position")
    )


@dataclass(frozen=True)
class KindProgress:
    kind: str
    name: str
    labels: int  # every label of the kind
    proposed: int  # models' proposals waiting for a reviewer
    reviewed: int  # accepted, corrected or rejected by a reviewer
    gold: int  # imported or corroborated

    @property
    def settled_percent(self) -> float:
        return 100.0 * (self.reviewed + self.gold) / self.labels if self.labels else 0.0

    @property
    def reviewed_percent(self) -> float:
        return 100.0 * self.reviewed / self.labels if self.labels else 0.0

    @property
    def gold_percent(self) -> float:
        return 100.0 * self.gold / self.labels if self.labels else 0.0


def dataset_stats_overview(stats: DatasetStats | None) -> list[KindProgress]:
    """Per label kind present, its labels and how far review has come (from the kept counts)."""
    if stats is None:
        return []
    kinds = {row[0] for row in stats.labels}
    reviewed = (LabelStatus.ACCEPTED, LabelStatus.CORRECTED, LabelStatus.REJECTED)
    return [
        KindProgress(
            kind=kind.value,
            name=kind.label,
            labels=stats.label_count(kind=kind),
            proposed=stats.label_count(kind=kind, statuses=(LabelStatus.PROPOSED,)),
            reviewed=stats.label_count(kind=kind, statuses=reviewed),
            gold=stats.label_count(kind=kind, statuses=(LabelStatus.GOLD,)),
        )
        for kind in LabelKind
        if kind.value in kinds
    ]


# ---------------------------------------------------------------------------------------------------
# The corpus as other apps read it
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DialogueRecord:
    """One dialogue as the corpus holds it, with the labels of one set: ``data`` is its FORMAT.md object
    (what its export line reads as), built from the rows without JSON text in between."""

    pk: int
    dataset: str
    data: dict[str, Any]

    @property
    def external_id(self) -> str:
        return str(self.data["id"])


def dialogue_records(dataset: Dataset, *, labels: str = "gold") -> Iterator[DialogueRecord]:
    """Every dialogue of the dataset in import order, a batch at a time (flat memory), with the labels
    of ``labels``: ``gold``, ``reviewed``, ``best`` (for each target the best there is) or
    ``model:NAME``. How the model, the rewriter and the teachable-moment finder read the corpus."""
    selection = LabelSelection.parse(labels)
    for pk, data in iter_export_dicts(dataset=dataset, selection=selection):
        yield DialogueRecord(pk=pk, dataset=dataset.name, data=data)
