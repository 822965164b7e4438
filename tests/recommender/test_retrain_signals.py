"""The retrain learns from what people did besides rating: movies opened from a list rise in their ranking, and
a new click or mark alone is new training data for the nightly (unforced) retrain."""

import numpy as np
import pytest
from django.contrib.auth import get_user_model

from feedback.models import Action
from ratings.models import Movie
from ratings.services.marks import movie_mark_set
from recommender.models import ModelVersion
from recommender.services.artifact_cache import artifact_fetch
from recommender.services.outcomes import OutcomeStatus
from recommender.services.retrain import model_retrain
from recsys.rating_model import FactorModel
from tests.feedback.events import follow, list_show
from tests.recommender.training_data import ratings_create
from tests.recsys.arrays import SMALL, synthetic_ratings

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated")]


@pytest.fixture
def ratings():
    return ratings_create(synthetic_ratings())


def _ranking_scores(version: ModelVersion, user_id: int) -> dict[int, float]:
    served = FactorModel.load(artifact_fetch(version=version))
    ranking = served.served_ranking()
    scores = ranking.scores(ranking.user_factors[served.user_index(user_id)])
    return dict(zip(served.movie_ids.tolist(), scores.tolist(), strict=True))


def test_movies_opened_from_a_list_rise_in_the_users_ranking(ratings) -> None:
    """A user's five lowest-ranked unrated movies, opened from a list, gain on the movies they did not open in the
    next version (trained, as any retrain, with the same seed on the same ratings: the clicks alone moved them)."""
    user_id = int(ratings["user"].iloc[0])
    before = model_retrain(force=True, hyperparameters=SMALL).version
    scores = _ranking_scores(before, user_id)
    unrated = sorted(set(scores) - set(ratings.loc[ratings["user"] == user_id, "movie"]), key=scores.__getitem__)
    opened, others = unrated[:5], unrated[5:]
    user = get_user_model().objects.get(pk=user_id)
    shown = list_show(user=user, movie_ids=unrated, version_id=before.pk)
    for movie_id in opened:
        follow(user=user, shown=shown, movie_id=movie_id, action=Action.OPENED)
    after = _ranking_scores(model_retrain(force=True, hyperparameters=SMALL).version, user_id)

    def lead(scores: dict[int, float]) -> float:
        return float(np.mean([scores[m] for m in opened]) - np.mean([scores[m] for m in others]))

    assert lead(after) > lead(scores) + 0.1


def test_a_new_mark_alone_is_new_training_data(ratings) -> None:
    """With the ratings unchanged, a retrain skips; after a watchlist add it trains; then it skips again."""
    first = model_retrain(hyperparameters=SMALL).version
    assert model_retrain(hyperparameters=SMALL).status == OutcomeStatus.SKIPPED
    user = get_user_model().objects.get(pk=int(ratings["user"].iloc[0]))
    movie_mark_set(user=user, movie=Movie.objects.order_by("pk").last(), mark="watchlist")
    second = model_retrain(hyperparameters=SMALL)
    assert second.status != OutcomeStatus.SKIPPED and second.version.pk != first.pk
    assert model_retrain(hyperparameters=SMALL).status == OutcomeStatus.SKIPPED
