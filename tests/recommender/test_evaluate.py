"""Tests of ``manage.py evaluate`` and the evaluation protocol, with every metric recomputed here from the files.

No database fixture is requested: pytest-django refuses any database access, so these tests also show that
``evaluate`` touches neither the database nor the registry.
"""

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from recsys.evaluation import NOT_U_DATA, evaluation_run
from recsys.trainers import popularity_trainer
from tests.recsys.arrays import synthetic_ratings

KEYS = ["rmse", "mae", "ndcg@10", "precision@10", "recall@10", "train_seconds", "n_train", "n_test"]


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame[["user", "movie", "rating", "timestamp"]].to_csv(path, sep="\t", header=False, index=False)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame, pd.DataFrame]:
    """A random 80/20 split of synthetic ratings, plus test pairs with a user and a movie the training file lacks."""
    ratings = synthetic_ratings(n_users=40, n_movies=50, density=0.6, seed=3)
    test_rows = np.random.default_rng(1).random(len(ratings)) < 0.2
    train, test = ratings[~test_rows], ratings[test_rows]
    strangers = pd.DataFrame(
        {"user": [999, 1], "movie": [1, 999], "rating": [5.0, 5.0], "timestamp": [890_000_000, 890_000_001]}
    )
    test = pd.concat([test, strangers], ignore_index=True)
    folder = tmp_path_factory.mktemp("evaluate")
    return _write(train, folder / "train.tsv"), _write(test, folder / "test.tsv"), train, test


# The site's list (the ranking model, the default) over either rating model, and the list by predicted rating.
@pytest.fixture(scope="module", params=[("dot", "ranking"), ("nn", "ranking"), ("dot", "rating")])
def evaluated(request: pytest.FixtureRequest, files, tmp_path_factory: pytest.TempPathFactory):
    train_path, test_path, train, test = files
    algorithm, ordered_by = request.param
    output = tmp_path_factory.mktemp(f"out-{algorithm}-{ordered_by}")
    stdout = io.StringIO()
    call_command(
        "evaluate", "--train", str(train_path), "--test", str(test_path), "--algorithm", algorithm,
        "--list", ordered_by, "--output", str(output), stdout=stdout, stderr=io.StringIO(),
    )  # fmt: skip
    summary = json.loads(stdout.getvalue().strip().splitlines()[-1])
    predictions = pd.read_csv(output / "predictions.tsv", sep="\t", names=["user", "movie", "prediction"])
    top_k = pd.read_csv(output / "topk.tsv", sep="\t", names=["user", "rank", "movie", "score"])
    return summary, predictions, top_k, train, test


def test_last_line_is_one_json_object_with_the_documented_keys(evaluated) -> None:
    """The last line of output parses as JSON with exactly the metrics the command documents."""
    summary, _, _, train, test = evaluated
    assert list(summary) == KEYS
    assert (summary["n_train"], summary["n_test"]) == (len(train), len(test))
    assert summary["train_seconds"] > 0


def test_predictions_cover_exactly_the_known_test_pairs(evaluated) -> None:
    """One prediction per test pair whose user and movie are both in the training file, inside y_range."""
    _, predictions, _, train, test = evaluated
    known = test[test["user"].isin(train["user"]) & test["movie"].isin(train["movie"])]
    assert sorted(zip(predictions["user"], predictions["movie"], strict=True)) == sorted(
        zip(known["user"], known["movie"], strict=True)
    )
    assert predictions["prediction"].between(0.0, 5.5).all()


def test_rmse_and_mae_match_the_written_predictions(evaluated) -> None:
    """RMSE and MAE recomputed here from predictions.tsv and the test file equal the reported ones."""
    summary, predictions, _, _, test = evaluated
    joined = predictions.merge(test, on=["user", "movie"])
    errors = joined["prediction"] - joined["rating"]
    assert summary["rmse"] == pytest.approx(math.sqrt((errors**2).mean()), abs=1e-5)
    assert summary["mae"] == pytest.approx(errors.abs().mean(), abs=1e-5)


def test_top_k_lists_never_hold_a_movie_the_user_rated_in_training(evaluated) -> None:
    """Each test user known to training gets ten unrated training movies, ranked 1..10 by descending score."""
    _, _, top_k, train, test = evaluated
    known_users = set(test["user"]) & set(train["user"])
    assert set(top_k["user"]) == known_users
    rated = set(zip(train["user"], train["movie"], strict=True))
    for user, group in top_k.groupby("user"):
        assert group["rank"].tolist() == list(range(1, 11))
        assert group["score"].is_monotonic_decreasing
        assert not {(user, movie) for movie in group["movie"]} & rated
        assert set(group["movie"]) <= set(train["movie"])


def test_ranking_metrics_match_the_written_top_k(evaluated) -> None:
    """NDCG@10 (binary), precision@10 and recall@10 recomputed here from topk.tsv: relevant are test ratings of 4
    or more; users with no relevant movie are left out."""
    summary, _, top_k, _, test = evaluated
    ndcgs, precisions, recalls = [], [], []
    for user, group in top_k.groupby("user"):
        relevant = set(test[(test["user"] == user) & (test["rating"] >= 4)]["movie"])
        if not relevant:
            continue
        hits = [movie in relevant for movie in group.sort_values("rank")["movie"]]
        dcg = sum(1 / math.log2(rank + 2) for rank, hit in enumerate(hits) if hit)
        ideal = sum(1 / math.log2(rank + 2) for rank in range(min(10, len(relevant))))
        ndcgs.append(dcg / ideal)
        precisions.append(sum(hits) / 10)
        recalls.append(sum(hits) / len(relevant))
    assert summary["ndcg@10"] == pytest.approx(np.mean(ndcgs), abs=1e-9)
    assert summary["precision@10"] == pytest.approx(np.mean(precisions), abs=1e-9)
    assert summary["recall@10"] == pytest.approx(np.mean(recalls), abs=1e-9)


def test_a_file_not_in_u_data_layout_is_refused(tmp_path: Path) -> None:
    """A file that is not tab-separated user, movie, rating, timestamp is an error naming it."""
    bad = tmp_path / "ratings.csv"
    bad.write_text("userId,movieId,rating,timestamp\n1,2,3.5,4\n")
    with pytest.raises(CommandError) as error:
        call_command("evaluate", "--train", str(bad), "--test", str(bad), "--output", str(tmp_path / "out"))
    assert str(error.value).startswith(NOT_U_DATA.split("{error}")[0].format(path=bad))


def test_another_trainer_plugs_into_the_same_protocol() -> None:
    """The popularity trainer through evaluation_run: the most rated unrated movies, mean ratings as predictions."""
    rows = [(1, 10, 5.0), (2, 10, 3.0), (3, 10, 4.0), (1, 20, 2.0), (2, 20, 4.0), (3, 30, 1.0), (2, 40, 5.0)]
    train = pd.DataFrame(rows, columns=["user", "movie", "rating"]).assign(timestamp=0)
    test = pd.DataFrame({"user": [1, 1, 3], "movie": [30, 40, 20], "rating": [4.0, 2.0, 5.0], "timestamp": 0})
    result = evaluation_run(train=train, test=test, trainer=popularity_trainer(), k=2)
    lists = {user: group["movie"].tolist() for user, group in result.top_k.groupby("user")}
    # Counts: 10 -> 3, 20 -> 2, 30 -> 1, 40 -> 1 (ties broken by score order, then position).
    assert lists[1] == [30, 40] or lists[1] == [40, 30]
    assert lists[3] == [20, 40]
    assert result.predictions.set_index(["user", "movie"])["prediction"].to_dict() == {
        (1, 30): 1.0,
        (1, 40): 5.0,
        (3, 20): 3.0,
    }
    # User 1: relevant {30}, at rank 1 or 2; user 3: relevant {20}, at rank 1.
    assert result.metrics["recall@2"] == 1.0
    assert result.metrics["n_train"] == 7 and result.metrics["n_test"] == 3
