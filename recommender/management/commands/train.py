"""``manage.py train``: train a version from the database's ratings, promote it, and say what happened."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommender.services.outcomes import OutcomeStatus
from recommender.services.retrain import model_retrain
from recsys.params import Algorithm

TRAINING_FAILED = "training failed: {error}"
ALREADY_RUNNING = "a retrain is already running (the Celery worker, or another train command); try again later"


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Train a model version from every rating in the database (progress and losses on stderr), then print the "
        "version, its validation metrics and whether it was activated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--algorithm", choices=list(Algorithm), help="default: setting RECOMMENDER_ALGORITHM")
        parser.add_argument("--epochs", type=_positive, help="override the number of epochs")
        parser.add_argument("--no-activate", action="store_true", help="keep the new version ready, not active")
        parser.add_argument(
            "--force", action="store_true", help="train even when the ratings are unchanged since the active version"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        overrides = {"epochs": options["epochs"]} if options["epochs"] else None
        try:
            outcome = model_retrain(
                force=bool(options["force"]),
                algorithm=options["algorithm"],
                hyperparameters=overrides,
                activate=not options["no_activate"],
                progress=True,
            )
        except Exception as error:
            raise CommandError(TRAINING_FAILED.format(error=error)) from error
        if outcome.status == OutcomeStatus.BUSY:
            raise CommandError(ALREADY_RUNNING)
        if outcome.status == OutcomeStatus.SKIPPED:
            self.stdout.write(f"Skipped: {outcome.message} (use --force to train anyway).")
            return
        version = outcome.version
        assert version is not None, "every outcome of a training carries its version"
        metrics = version.metrics
        self.stdout.write(
            f"Version v{version.pk} ({version.algorithm}): {version.n_ratings} ratings, {version.n_users} users, "
            f"{version.n_movies} movies, trained in {version.training_seconds:.1f} s"
            + (
                f" (of which the ranking model that orders the list: {metrics['ranking_seconds']:.1f} s)"
                if metrics.get("ranking_seconds") is not None
                else ""
            )
        )
        for loss in version.epoch_losses:
            valid = "-" if loss["valid_loss"] is None else f"{loss['valid_loss']:.4f}"
            self.stdout.write(f"  epoch {loss['epoch']}: train loss {loss['train_loss']:.4f}, valid loss {valid}")
        self.stdout.write(
            "Validation (NDCG@10 of the list the site serves): "
            + ", ".join(
                f"{name} {metrics[name]:.4f}" for name in ("rmse", "mae", "ndcg@10") if metrics.get(name) is not None
            )
        )
        if outcome.status == OutcomeStatus.ACTIVATED:
            self.stdout.write(self.style.SUCCESS(f"Activated: v{version.pk} is now the active version."))
        elif outcome.status == OutcomeStatus.REJECTED:
            self.stdout.write(self.style.WARNING(f"Not activated (rejected): {outcome.message}"))
        else:
            self.stdout.write(f"Not activated (--no-activate): v{version.pk} is ready.")
