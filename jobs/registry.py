"""The registry of job kinds: what each app tells ``jobs`` about the jobs it runs.

Each app registers its kinds in its ``AppConfig.ready`` (``job_kind_register``); from then on the
workers, the pages and the API know a kind only through its entry here: its label, how it runs (one
task from the top, or planned into chunks that any worker takes), what its progress counts, who may
start it, how its result reads and what the dataset's pages say while it works. ``jobs`` imports no
feature app; a kind names the functions that do its work, and ``jobs`` calls them.

Two more things apps register: background actions (a service run in a worker after the request,
``background_action_register``: what a task of the app's own used to be) and, once, how to tell who
belongs to a dataset (``dataset_access_register``, by the corpus app), which decides who sees a job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.db.models import Model, QuerySet

    from jobs.models import Job


class UnknownJobKind(LookupError):
    """A job names a kind that no installed app registered."""


@dataclass(frozen=True)
class PlannedChunk:
    """One chunk of a plan: the ids it works on and the progress units it stands for (turns, say)."""

    items: list[int]
    size: int


@dataclass(frozen=True)
class ChunkWork:
    """How a chunked kind splits into chunks and does one. ``jobs`` does the rest: the plan is made
    once, each chunk is claimed, leased and counted once, and a chunk's ``write`` commits in the same
    transaction that marks the chunk done, so a chunk retried, redelivered or resumed writes once."""

    # The chunks, in order (called once per job: a redelivered plan finds them made).
    plan: Callable[[Job], Sequence[PlannedChunk]]
    # The slow part, outside any transaction: reads and computes for the chunk's ids, calling
    # ``count(units)`` as it goes so the job's bar moves within a chunk. Returns what ``write`` writes.
    prepare: Callable[[Job, Sequence[int], Callable[[int], None]], Any]
    # Inside the chunk's transaction: writes what ``prepare`` returned; returns how many rows it wrote.
    write: Callable[[Job, Any], int]
    # The finished job's result from its chunks' totals (``ChunkTotals``).
    result: Callable[[Job, ChunkTotals], dict[str, Any]]
    # The phase a running job shows ("labelling").
    phase: str = "working"
    # After the job ends, whatever the ending (the dataset's kept counts, say).
    finished: Callable[[Job], None] | None = None


@dataclass(frozen=True)
class ChunkTotals:
    """What a chunked job's chunks did: counts by status, units and rows of the done ones, and the
    seconds they took."""

    chunks: dict[str, int]
    units: int
    written: int
    seconds: float


@dataclass(frozen=True)
class JobKind:
    """One kind of job, as its app registers it."""

    # The value stored in Job.kind ("label"), and how people read it ("Labelling").
    kind: str
    label: str
    # A one-task job's run (``run(job=job)``, from the top; safe to run again after a failure), or
    # ``chunks`` for a job planned into chunks.
    run: Callable[..., Any] | None = None
    chunks: ChunkWork | None = None
    # The dataset role it takes to start a job of this kind (and so to control the job one started).
    start_role: str = "reviewer"
    # What the progress counts, for its rate ("turns"), and per phase where a phase counts something
    # else (an import validates bytes, then writes dialogues).
    rate_unit: str = "items"
    phase_units: Mapping[str, str] = field(default_factory=dict)
    # How the result reads: its keys in words (keys not here are humanised as they are); keys that are
    # plumbing, not news, are hidden.
    result_names: Mapping[str, str] = field(default_factory=dict)
    result_hidden: frozenset[str] = frozenset()
    # One line on what a succeeded job did, from its result ("300 dialogues imported").
    summary: Callable[[dict[str, Any]], str] | None = None
    # What the dataset's pages say while a job of this kind works on it.
    notice: Callable[[Job], str] | None = None
    # Rows of the job page's details that come from its parameters: (name, text, link or "").
    details: Callable[[Job], list[tuple[str, str, str]]] | None = None
    # Before a failed or cancelled job runs again: raise ApplicationError to refuse, saying why (an
    # import whose upload is gone).
    before_retry: Callable[[Job], None] | None = None
    # After a job ended without running (cancelled while pending), for what it holds (an upload).
    discard: Callable[[Job], None] | None = None
    # Periodic clean-up, run by the workers' reaper about once an hour: returns how many things went.
    housekeeping: Callable[[datetime], int] | None = None

    def __post_init__(self) -> None:
        if (self.run is None) == (self.chunks is None):
            raise ValueError(f"Job kind {self.kind!r} needs exactly one of run and chunks.")

    @property
    def is_chunked(self) -> bool:
        return self.chunks is not None

    def unit(self, phase: str) -> str:
        return self.phase_units.get(phase) or self.rate_unit


_KINDS: dict[str, JobKind] = {}


def job_kind_register(kind: JobKind) -> None:
    """Called from an app's ``AppConfig.ready``; registering a kind twice replaces it (a reload)."""
    _KINDS[kind.kind] = kind


def job_kind(kind: str) -> JobKind:
    try:
        return _KINDS[kind]
    except KeyError:
        raise UnknownJobKind(f"No installed app registers the job kind {kind!r}.") from None


def job_kinds() -> list[JobKind]:
    return sorted(_KINDS.values(), key=lambda entry: entry.label)


def job_kind_choices() -> list[tuple[str, str]]:
    """(kind, label) of every registered kind, for filters and forms."""
    return [(entry.kind, entry.label) for entry in job_kinds()]


# ---------------------------------------------------------------------------------------------------
# Background actions: a service an app runs in a worker, by name
# ---------------------------------------------------------------------------------------------------

_ACTIONS: dict[str, Callable[..., Any]] = {}


def background_action_register(name: str, action: Callable[..., Any]) -> None:
    """``action(**kwargs)`` runs in a worker when ``jobs.services.background_call_on_commit(name=...)``
    asks for it; its arguments travel as JSON."""
    _ACTIONS[name] = action


def background_action(name: str) -> Callable[..., Any]:
    try:
        return _ACTIONS[name]
    except KeyError:
        raise LookupError(f"No installed app registers the background action {name!r}.") from None


# ---------------------------------------------------------------------------------------------------
# Who belongs to a dataset (registered by the corpus app): who sees and controls a job
# ---------------------------------------------------------------------------------------------------


class DatasetAccess(Protocol):
    def datasets_of(self, user: User) -> QuerySet[Any]:
        """The datasets the person belongs to (any role)."""

    def has_role(self, user: User | AnonymousUser, dataset: Model, role: str) -> bool:
        """Whether the person holds ``role`` or above in the dataset (superusers hold every role)."""


_ACCESS: list[DatasetAccess] = []


def dataset_access_register(access: DatasetAccess) -> None:
    _ACCESS[:] = [access]


def dataset_access() -> DatasetAccess:
    if not _ACCESS:
        raise LookupError("No installed app registers who belongs to a dataset (annotations does).")
    return _ACCESS[0]
