"""``manage.py evaluate``: train on one u.data file, measure on another; no database, no registry."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommender.services.evaluation import (
    EvaluationError,
    K,
    evaluation_run,
    evaluation_write,
    fastai_trainer,
    ratings_read,
)
from recommender.services.training import TrainingError

SUMMARY_KEYS = ["rmse", "mae", f"ndcg@{K}", f"precision@{K}", f"recall@{K}", "train_seconds", "n_train", "n_test"]


class Command(BaseCommand):
    help = (
        "Train on --train, predict --test. Writes DIR/predictions.tsv (user, movie, predicted rating: every test "
        "pair whose user and movie occur in the training file) and DIR/topk.tsv (user, rank, movie, score: the "
        f"top {K} unrated training movies of each test user), tab-separated, no header. The last line printed is "
        "one JSON object of metrics. FILEs are in the MovieLens u.data layout."
    )
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--train", type=Path, required=True, metavar="FILE")
        parser.add_argument("--test", type=Path, required=True, metavar="FILE")
        parser.add_argument("--algorithm", choices=["dot", "nn"], default="dot")
        parser.add_argument("--output", type=Path, required=True, metavar="DIR")

    def handle(self, *args: object, **options: object) -> None:
        try:
            train = ratings_read(path=options["train"])
            test = ratings_read(path=options["test"])
            result = evaluation_run(train=train, test=test, trainer=fastai_trainer(algorithm=options["algorithm"]))
        except (EvaluationError, TrainingError) as error:
            raise CommandError(str(error)) from error
        for path in evaluation_write(result=result, output=options["output"]):
            self.stderr.write(f"wrote {path}")
        self.stdout.write(json.dumps({key: result.metrics.get(key) for key in SUMMARY_KEYS}))
