"""The whole retrain in the ML core: fastai in, a numpy serving form that predicts what fastai predicts, out."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from fastai.learner import load_learner

from recsys.cold_start import ColdStart
from recsys.evaluation import evaluation_measure
from recsys.fingerprints import user_fingerprint
from recsys.params import ALGORITHM_UNKNOWN, HYPERPARAMETER_UNKNOWN, RatingParams, TrainingError
from recsys.rating_model import FactorModel
from recsys.recommenders import FactorRecommender, PopularityRecommender, SiteListRecommender
from recsys.train_ranking import MISSING_COLUMNS, ranking_train
from recsys.train_rating import LEARNER_FILE, TOO_FEW_RATINGS, batch_size, rating_train
from recsys.trainers import ARTIFACT_UNSERVABLE, ExportError, models_export, models_train
from tests.recsys.arrays import SMALL, synthetic_ratings


@pytest.fixture(scope="module")
def ratings() -> pd.DataFrame:
    return synthetic_ratings(n_users=40, n_movies=50, density=0.6)


@pytest.fixture(scope="module", params=["dot", "nn"])
def trained(request: pytest.FixtureRequest, ratings: pd.DataFrame):
    overrides = {**SMALL, "layers": [8, 4]} if request.param == "nn" else SMALL
    return models_train(ratings=ratings, params=RatingParams.default(request.param).with_overrides(overrides))


def _fastai_predictions(trained, pairs: pd.DataFrame) -> np.ndarray:
    with trained.learner.no_bar():
        predictions, _ = trained.learner.get_preds(dl=trained.learner.dls.test_dl(pairs[["user", "movie"]]))
    return predictions.numpy().ravel()


def _known(factors: FactorModel, pairs: pd.DataFrame) -> pd.DataFrame:
    return pairs[pairs["user"].isin(factors.user_ids) & pairs["movie"].isin(factors.movie_ids)]


def test_serving_form_predicts_what_fastai_predicts(trained) -> None:
    """The numpy FactorModel (dot product, or the MLP head of nn) gives the learner's predictions on held-out pairs."""
    pairs = _known(trained.factors, trained.valid)
    rows_u = np.array([trained.factors.user_index(u) for u in pairs["user"]])
    rows_m = np.array([trained.factors.movie_index(m) for m in pairs["movie"]])
    assert len(pairs) > 50
    np.testing.assert_allclose(
        trained.factors.predict_pairs(rows_u, rows_m), _fastai_predictions(trained, pairs), atol=1e-5
    )
    # One user against many movies (what a request asks) agrees with the pairwise form.
    first = rows_u[0]
    np.testing.assert_allclose(
        trained.factors.predict_user(first, rows_m),
        trained.factors.predict_pairs(np.full(len(rows_m), first), rows_m),
        atol=1e-5,
    )


def test_vocabularies_are_the_training_ids_without_na(trained) -> None:
    """The serving form's ids are exactly the users and movies of the training split, '#na#' left out."""
    assert sorted(trained.factors.user_ids.tolist()) == sorted(trained.train["user"].unique().tolist())
    assert sorted(trained.factors.movie_ids.tolist()) == sorted(trained.train["movie"].unique().tolist())
    assert len(trained.factors.user_factors) == len(trained.factors.user_ids)
    assert trained.factors.has_training_ratings
    assert len(trained.factors.training_ratings()) == len(trained.train)


def test_split_holds_out_the_configured_share(trained, ratings: pd.DataFrame) -> None:
    """A random 20% of the ratings is held out and never trained on."""
    assert len(trained.valid) == int(0.2 * len(ratings))
    assert len(trained.train) + len(trained.valid) == len(ratings)
    assert not set(trained.train.index) & set(trained.valid.index)


def test_every_epoch_records_training_and_validation_loss(trained) -> None:
    """One entry per epoch, numbered from 1, with finite training and validation losses."""
    assert [loss["epoch"] for loss in trained.epoch_losses] == [1, 2, 3]
    for loss in trained.epoch_losses:
        assert np.isfinite(loss["train_loss"]) and np.isfinite(loss["valid_loss"])


def test_validation_metrics_are_those_of_the_held_out_known_pairs(trained) -> None:
    """RMSE and MAE are computed over the held-out pairs whose user and movie were trained on."""
    pairs = _known(trained.factors, trained.valid)
    errors = _fastai_predictions(trained, pairs) - pairs["rating"].to_numpy()
    assert trained.metrics["rmse"] == pytest.approx(np.sqrt(np.mean(errors**2)), abs=1e-5)
    assert trained.metrics["mae"] == pytest.approx(np.mean(np.abs(errors)), abs=1e-5)
    assert 0.0 <= trained.metrics["ndcg@10"] <= 1.0


@pytest.mark.filterwarnings("ignore:load_learner:UserWarning")
def test_export_writes_a_loadable_learner_and_pickle_free_arrays(trained, tmp_path) -> None:
    """learner.pkl loads with fastai's load_learner; the serving arrays load without pickle and predict alike."""
    files = models_export(trained=trained, directory=tmp_path)
    assert sorted(path.name for path in files) == sorted([LEARNER_FILE, "serving.npz", "serving.json"])
    learner = load_learner(tmp_path / LEARNER_FILE)
    pairs = _known(trained.factors, trained.valid).head(20)
    with learner.no_bar():
        loaded_predictions, _ = learner.get_preds(dl=learner.dls.test_dl(pairs[["user", "movie"]]))
    served = FactorModel.load(tmp_path)
    rows_u = np.array([served.user_index(u) for u in pairs["user"]])
    rows_m = np.array([served.movie_index(m) for m in pairs["movie"]])
    np.testing.assert_allclose(served.predict_pairs(rows_u, rows_m), loaded_predictions.numpy().ravel(), atol=1e-5)
    assert served.meta["algorithm"] == trained.params.algorithm
    assert served.problems() == []


def test_export_refuses_a_model_that_cannot_be_served(trained, tmp_path) -> None:
    """A trained model whose arrays the artifact's check refuses (here not finite) is not written at all."""
    broken = replace(trained, factors=replace(trained.factors, movie_bias=trained.factors.movie_bias * np.nan))
    with pytest.raises(ExportError) as error:
        models_export(trained=broken, directory=tmp_path)
    assert str(error.value).startswith(ARTIFACT_UNSERVABLE.split("{")[0])
    assert list(tmp_path.iterdir()) == []


def test_training_is_reproducible(ratings: pd.DataFrame) -> None:
    """The same data and hyperparameters (seed included) give the same model."""
    params = RatingParams().with_overrides(SMALL)
    first = models_train(ratings=ratings, params=params)
    second = models_train(ratings=ratings, params=params)
    np.testing.assert_array_equal(first.factors.movie_factors, second.factors.movie_factors)
    assert {k: v for k, v in first.metrics.items() if k != "ranking_seconds"} == {
        k: v for k, v in second.metrics.items() if k != "ranking_seconds"
    }


def test_ranking_model_trains_beside_the_rating_model_on_the_same_ratings(ratings: pd.DataFrame) -> None:
    """The ranking model and the list's signals learn from the rating model's training part and line up with its
    vocabularies; the list metrics are those of the site's list, the rating metrics stay the rating model's."""
    params = RatingParams().with_overrides(SMALL)
    trained = models_train(ratings=ratings, params=params)
    alone = rating_train(ratings=ratings, params=params)
    factors, ranking = trained.factors, trained.factors.ranking
    assert "timestamp" in trained.train.columns
    np.testing.assert_array_equal(ranking.user_ids, factors.user_ids)
    np.testing.assert_array_equal(ranking.movie_ids, factors.movie_ids)
    expected = ranking_train(ratings=trained.train, seed=params.seed).aligned(
        user_ids=factors.user_ids, movie_ids=factors.movie_ids
    )
    np.testing.assert_allclose(ranking.movie_factors, expected.movie_factors, atol=1e-6)
    measured = evaluation_measure(
        train=trained.train, test=trained.valid, recommender=SiteListRecommender(factors)
    ).metrics
    assert trained.metrics["ndcg@10"] == pytest.approx(measured["ndcg@10"])
    alone_rmse = evaluation_measure(train=alone.train, test=alone.valid, recommender=FactorRecommender(alone.factors))
    assert trained.metrics["rmse"] == pytest.approx(alone_rmse.metrics["rmse"])
    assert 0 < trained.metrics["ranking_seconds"] <= trained.train_seconds


def test_ranking_needs_the_rating_times(ratings: pd.DataFrame) -> None:
    """The ranking model weighs recent ratings more: without a timestamp column it refuses to train."""
    with pytest.raises(ValueError, match=MISSING_COLUMNS.format(missing="timestamp")):
        models_train(ratings=ratings.drop(columns="timestamp"), params=RatingParams().with_overrides(SMALL))


def test_unknown_algorithm_and_hyperparameter_are_refused() -> None:
    """A typo in an algorithm or hyperparameter name is an error that names it, not a silent default."""
    with pytest.raises(TrainingError) as error:
        RatingParams.default("svd")
    assert str(error.value) == ALGORITHM_UNKNOWN.format(algorithm="svd", choices="dot, nn")
    with pytest.raises(TrainingError) as error:
        RatingParams().with_overrides({"learning_rate": 0.1})
    assert str(error.value).startswith(
        HYPERPARAMETER_UNKNOWN.split("{known}")[0].format(name="learning_rate", algorithm="dot")
    )


def test_too_few_ratings_is_an_error(ratings: pd.DataFrame) -> None:
    """One rating cannot be split and learned from."""
    with pytest.raises(TrainingError) as error:
        rating_train(ratings=ratings.head(1), params=RatingParams())
    assert str(error.value) == TOO_FEW_RATINGS.format(n=1, minimum=2)


@pytest.mark.filterwarnings("ignore:load_learner:UserWarning")
@pytest.mark.parametrize("cold_start", list(ColdStart))
def test_export_carries_the_training_ratings_only_where_the_cold_start_reads_them(trained, tmp_path, cold_start):
    """Every artifact carries each user's fingerprint of the ratings training saw; the training ratings themselves
    only where new users are placed the classic way (that setting, or any nn model)."""
    models_export(trained=trained, directory=tmp_path, cold_start=cold_start)
    served = FactorModel.load(tmp_path)
    assert served.has_training_ratings == (cold_start == ColdStart.CLASSIC or trained.params.algorithm == "nn")
    assert served.problems() == []
    user = trained.train["user"].iloc[0]
    mine = trained.train[trained.train["user"] == user]
    rows = np.array([served.movie_index(m) for m in mine["movie"]])
    fingerprint = user_fingerprint(movie_rows=rows, scores=mine["rating"].to_numpy())
    assert fingerprint == int(served.user_fingerprints[served.user_index(user)])


def test_the_rating_batches_grow_past_the_cap_on_batches_an_epoch() -> None:
    params = RatingParams(bs=2048, max_batches=1000)
    assert batch_size(params=params, n_train=80_000) == 2048
    assert batch_size(params=params, n_train=20_000_076) == 20_001
    assert batch_size(params=params, n_train=100) == 100  # never more than there are ratings
    assert batch_size(params=replace(params, max_batches=None), n_train=20_000_076) == 2048


def test_the_ranking_is_measured_for_a_sample_of_users_when_asked(ratings: pd.DataFrame) -> None:
    """At most the asked number of test users are ranked, a different draw with another seed; all without a limit."""
    test = ratings.sample(frac=0.2, random_state=0)
    train = ratings.drop(test.index)
    recommender = PopularityRecommender.from_ratings(train)
    every = evaluation_measure(train=train, test=test, recommender=recommender)
    ranked = set(every.top_k["user"])
    assert len(ranked) > 6

    def sample(seed: int) -> set[int]:
        result = evaluation_measure(train=train, test=test, recommender=recommender, max_ranked_users=5, seed=seed)
        assert len(result.predictions) == len(every.predictions)  # the accuracy still covers every known pair
        return set(result.top_k["user"])

    assert len(sample(0)) == 5 and sample(0) <= ranked
    assert sample(0) == sample(0) != sample(1)
