"""The model registry: every trained version, its metrics and artifact, which one the site serves, and the online
comparisons of a candidate against it."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from recsys.params import Algorithm as CoreAlgorithm

# The one permission behind "Retrain now" and "Activate", in the admin, on the Model pages and in the API.
MANAGE_PERMISSION = "recommender.manage_modelversion"


class ModelVersionQuerySet(models.QuerySet["ModelVersion"]):
    def active(self) -> "ModelVersionQuerySet":
        return self.filter(status=ModelVersion.Status.ACTIVE)


class ModelVersion(models.Model):
    class Algorithm(models.TextChoices):
        """The ML core's algorithms, with the labels the admin shows."""

        DOT = CoreAlgorithm.DOT.value, "Dot product (EmbeddingDotBias)"
        NN = CoreAlgorithm.NN.value, "Neural network (EmbeddingNN)"

    class Status(models.TextChoices):
        TRAINING = "training", "Training"
        READY = "ready", "Ready"
        ACTIVE = "active", "Active"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    algorithm = models.CharField(max_length=10, choices=Algorithm.choices, default=Algorithm.DOT)
    hyperparameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TRAINING, db_index=True)

    # The data it saw.
    n_ratings = models.PositiveIntegerField(default=0)
    n_users = models.PositiveIntegerField(default=0)
    n_movies = models.PositiveIntegerField(default=0)
    ratings_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)

    # Validation metrics: {"rmse": ..., "mae": ..., "ndcg@10": ...}; per-epoch losses:
    # [{"epoch": 1, "train_loss": ..., "valid_loss": ...}, ...].
    metrics = models.JSONField(default=dict, blank=True)
    epoch_losses = models.JSONField(default=list, blank=True)
    training_seconds = models.FloatField(null=True, blank=True)

    # Folder name in the model store (STORAGES["models"]) and in each cache, and {file name: sha256 hex} of its files.
    artifact_dir = models.CharField(max_length=255, blank=True)
    artifact_sha256 = models.JSONField(default=dict, blank=True)

    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    objects = ModelVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("manage_modelversion", "Can retrain and activate model versions")]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="active"), name="modelversion_exactly_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.pk} ({self.algorithm}, {self.status})"

    @property
    def rmse(self) -> float | None:
        return self.metrics.get("rmse")


class ComparisonQuerySet(models.QuerySet["Comparison"]):
    def running(self) -> "ComparisonQuerySet":
        return self.filter(status=Comparison.Status.RUNNING)


class Comparison(models.Model):
    """The active version (A) against a ready candidate (B), judged online: a share of signed-in people see one
    list drafted from both (team-draft interleaving), and what they open and like from it says which they prefer.

    The versions are kept when pruned away (null): the comparison is history. At most one runs at a time."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        PROMOTED = "promoted", "Ended: the candidate was promoted"
        STOPPED = "stopped", "Ended: stopped"

    version_a = models.ForeignKey(
        ModelVersion, null=True, on_delete=models.SET_NULL, related_name="+", help_text="The active version at start"
    )
    version_b = models.ForeignKey(
        ModelVersion, null=True, on_delete=models.SET_NULL, related_name="+", help_text="The candidate"
    )
    share = models.FloatField(help_text="The share of signed-in people who see the interleaved list, in (0, 1]")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING, db_index=True)
    started_at = models.DateTimeField(auto_now_add=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_note = models.TextField(blank=True, help_text="Why it ended, and what it had found by then")
    # The sequential test's first verdict other than "continue" per signal ("openings", "likes"), with the counts
    # it was reached at: it stands, whatever the people after it do (recommender.services.comparisons).
    verdicts = models.JSONField(default=dict, blank=True)

    objects = ComparisonQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="running"), name="comparison_one_running"),
            models.CheckConstraint(condition=Q(share__gt=0) & Q(share__lte=1), name="comparison_share_in_range"),
        ]

    def __str__(self) -> str:
        return f"comparison {self.pk}: v{self.version_a_id} against v{self.version_b_id} ({self.status})"
