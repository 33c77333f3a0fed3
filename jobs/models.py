"""Every background run is a Job row: created in the request's transaction, enqueued on commit, and
updated by the worker, so pages, the API and the CLI all read the same progress."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Job(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    # A kind that an app registered (``jobs.registry``): what runs the job and how it reads.
    kind = models.CharField(max_length=12)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    dataset = models.ForeignKey(
        "annotations.Dataset", null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    # Every dataset the job reads (its own dataset included): a person sees the job only while they
    # belong to each of them, since its result may carry their names and labels.
    reads = models.ManyToManyField("annotations.Dataset", blank=True, related_name="jobs_reading")
    params = models.JSONField(default=dict, blank=True)
    # What the job is doing now ("validating", "writing"), and how far it got.
    phase = models.CharField(max_length=40, blank=True)
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    # Renewed by whatever works on the job (jobs.services.job_heartbeat); a running job whose
    # heartbeat is older than SELFLEARN_JOB_LEASE_SECONDS has lost its worker (jobs_reap_lost).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The process running the job ("host:pid", jobs.services.job_start): another delivery of the job
    # takes it over only once that process is gone (dead on this host, or no heartbeat for a lease).
    runner = models.CharField(max_length=255, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="job_status_created")]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def fraction_done(self) -> float | None:
        if not self.progress_total:
            return None
        return min(1.0, self.progress_done / self.progress_total)


class JobChunk(models.Model):
    """One unit of a job's work that a worker does on its own (a slice of dialogues to label).

    A chunk is marked done in the same transaction that writes its results, so a chunk that is
    retried, redelivered after its worker was killed, or run again when a job resumes counts once.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    items = models.JSONField(default=list)  # the ids this chunk works on
    size = models.PositiveIntegerField(default=0)  # progress units (turns, say) the chunk stands for
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # A worker claims a pending chunk by setting this in one conditional UPDATE and renews it while it
    # works; once it has passed, the worker is taken for lost and the chunk is sent out again.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    seconds = models.FloatField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Units this attempt has counted on the job's progress before the chunk is done, so the bar moves
    # within a chunk and a retried attempt takes back what a dead one counted.
    progress = models.PositiveIntegerField(default=0)
    # What the chunk wrote (labels, for labelling), for the job's result.
    written = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["job", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="jobchunk_unique_index")]
        indexes = [models.Index(fields=["job", "status"], name="jobchunk_job_status")]

    def __str__(self) -> str:
        return f"chunk {self.index} of job {self.job_id} ({self.status})"
