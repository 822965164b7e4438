"""``manage.py evaluate``: train on one u.data file, measure on another; no database, no registry.

By default it evaluates what the site serves: predictions from the rating model (``--algorithm``, default the
setting RECOMMENDER_ALGORITHM) and the top-k lists from the ranking model trained beside it. ``--list rating``
ranks by predicted rating instead (the rating model alone, the classic recipe's list).
"""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommender.services.retrain import rating_params_resolve
from recsys.evaluation import EvaluationError, K, evaluation_run, evaluation_write, ratings_read
from recsys.params import Algorithm, TrainingError

LIST_RANKING = "ranking"
LIST_RATING = "rating"

SUMMARY_KEYS = ["rmse", "mae", f"ndcg@{K}", f"precision@{K}", f"recall@{K}", "train_seconds", "n_train", "n_test"]


class Command(BaseCommand):
    help = (
        "Train on --train, predict --test. Writes DIR/predictions.tsv (user, movie, predicted rating: every test "
        "pair whose user and movie occur in the training file) and DIR/topk.tsv (user, rank, movie, score: the "
        f"top {K} unrated training movies of each test user), tab-separated, no header. The last line printed is "
        "one JSON object of metrics. FILEs are in the MovieLens u.data layout. By default this is what the site "
        "serves: predictions from the rating model (--algorithm), lists from the ranking model trained beside it; "
        "--list rating ranks by predicted rating instead."
    )
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--train", type=Path, required=True, metavar="FILE")
        parser.add_argument("--test", type=Path, required=True, metavar="FILE")
        parser.add_argument(
            "--algorithm", choices=list(Algorithm), help="the rating model; default: setting RECOMMENDER_ALGORITHM"
        )
        parser.add_argument(
            "--list",
            choices=[LIST_RANKING, LIST_RATING],
            default=LIST_RANKING,
            help="what orders topk.tsv: the ranking model (the site's list, default) or the predicted rating",
        )
        parser.add_argument("--output", type=Path, required=True, metavar="DIR")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            train = ratings_read(path=options["train"])
            test = ratings_read(path=options["test"])
            from recsys.trainers import fastai_trainer, ranked_trainer  # torch: only when a model is trained

            params = rating_params_resolve(algorithm=options["algorithm"])
            ranked = options["list"] == LIST_RANKING
            trainer = ranked_trainer(params=params) if ranked else fastai_trainer(params=params)
            result = evaluation_run(train=train, test=test, trainer=trainer)
        except (EvaluationError, TrainingError) as error:
            raise CommandError(str(error)) from error
        for path in evaluation_write(result=result, output=options["output"]):
            self.stderr.write(f"wrote {path}")
        self.stdout.write(json.dumps({key: result.metrics.get(key) for key in SUMMARY_KEYS}))
