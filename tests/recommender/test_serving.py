"""The model holder: load once, swap on activation, fall back on a missing or tampered artifact, never torch."""

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.test import override_settings

from recommender.models import ModelVersion
from recommender.services.artifacts import ARTIFACT_FILE_MISSING, ARTIFACT_HASH_MISMATCH
from recommender.services.outcomes import OutcomeStatus
from recommender.services.recommendations import Fallback, recommendations_for_user
from recommender.services.registry import activation_request
from recommender.services.serving import MODEL_LOAD_FAILED, served_model
from recsys import cold_start, ranking_model
from recsys.rating_model import ARRAY_SHAPE, SERVING_ARRAYS, DenseLayer, FactorModel
from tests.factories import RatingFactory, UserFactory
from tests.recommender.served_models import model_version_create, world_model_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_serving")]


def test_no_active_version_serves_nothing_and_recommends_popular(world):
    """Without an active version the holder has no model and the page is the popularity list, marked so."""
    ModelVersion.objects.create(status=ModelVersion.Status.READY)
    assert served_model() is None
    page = recommendations_for_user(user=world.action_fan)
    assert page.is_fallback
    assert page.fallback == Fallback.NO_MODEL
    assert page.model_version is None


def test_active_version_is_loaded(world):
    """The active version's artifact is read and served with its registry row."""
    version = world_model_create(world)
    served = served_model()
    assert served.version == version
    assert isinstance(served.model, FactorModel)
    assert served.model.has_user(world.action_fan.pk)


def test_swap_on_activation(world):
    """Activating another version is noticed on the next check and the new model replaces the old one whole."""
    first = world_model_create(world, name="v1")
    user = UserFactory()
    RatingFactory(user=user, movie=world.action_movies[0], score=5.0)
    with override_settings(RECOMMENDER_ACTIVE_CHECK_SECONDS=0):
        assert recommendations_for_user(user=user).model_version == first
        held = served_model().model
        second = world_model_create(world, name="v2", status=ModelVersion.Status.READY)
        ModelVersion.objects.filter(pk=first.pk).update(status=ModelVersion.Status.READY)
        ModelVersion.objects.filter(pk=second.pk).update(status=ModelVersion.Status.ACTIVE)
        served = served_model()
        assert served.version.pk == second.pk
        assert served.model is not held
        assert served.model.meta == {"name": "v2"}
        assert recommendations_for_user(user=user).model_version.pk == second.pk


def test_within_check_interval_no_query_is_made(world, django_assert_num_queries):
    """Between checks the held model answers without touching the database or the files."""
    world_model_create(world)
    with override_settings(RECOMMENDER_ACTIVE_CHECK_SECONDS=3600):
        served = served_model()
        with django_assert_num_queries(0):
            assert served_model() is served


def test_check_is_one_query_while_the_active_version_is_unchanged(world, django_assert_num_queries):
    """A check that finds the same active version costs one query and keeps the same model object."""
    world_model_create(world)
    served = served_model()
    with django_assert_num_queries(1):
        assert served_model() is served


def test_deactivation_falls_back_to_popular(world):
    """When no version is active any more the holder lets go of the model."""
    version = world_model_create(world)
    assert served_model() is not None
    ModelVersion.objects.filter(pk=version.pk).update(status=ModelVersion.Status.READY)
    assert served_model() is None


def test_tampered_artifact_falls_back_and_logs(world, caplog):
    """A file changed after registration is refused: fallback page, a logged error, no exception."""
    version = world_model_create(world)
    arrays = Path(django_settings.MODEL_DIR) / version.artifact_dir / SERVING_ARRAYS
    arrays.write_bytes(arrays.read_bytes() + b"tampered")
    user = UserFactory()
    RatingFactory(user=user, movie=world.action_movies[0], score=5.0)
    with caplog.at_level(logging.ERROR, logger="recommender.services.serving"):
        page = recommendations_for_user(user=user)
    assert page.is_fallback
    assert page.fallback == Fallback.NO_MODEL
    assert page.items  # the popularity list still shows movies
    expected = MODEL_LOAD_FAILED.format(
        version=version.pk, error=ARTIFACT_HASH_MISMATCH.format(name=SERVING_ARRAYS, version=version.pk)
    )
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [expected]


def test_broken_version_is_not_read_again(world, caplog):
    """A version found broken is remembered: later requests neither re-read it nor log again."""
    version = world_model_create(world)
    arrays = Path(django_settings.MODEL_DIR) / version.artifact_dir / SERVING_ARRAYS
    arrays.write_bytes(b"tampered")
    with caplog.at_level(logging.ERROR, logger="recommender.services.serving"):
        for _ in range(3):
            assert served_model() is None
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1


def test_missing_artifact_falls_back_and_logs(world, caplog):
    """A registered file that is gone is refused the same way."""
    version = world_model_create(world)
    (Path(django_settings.MODEL_DIR) / version.artifact_dir / SERVING_ARRAYS).unlink()
    with caplog.at_level(logging.ERROR, logger="recommender.services.serving"):
        page = recommendations_for_user(user=world.action_fan)
    assert page.is_fallback
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert messages == [
        MODEL_LOAD_FAILED.format(
            version=version.pk, error=ARTIFACT_FILE_MISSING.format(name=SERVING_ARRAYS, version=version.pk)
        )
    ]


def test_malformed_artifact_with_valid_hash_falls_back(world, caplog):
    """An authentic but malformed artifact (factors not matching the vocabulary) is refused at load."""
    model_version_create(
        name="bad",
        user_ids=[world.action_fan.pk],
        user_factors=np.ones((2, 2)),
        movie_ids=[m.pk for m in world.movies],
        movie_factors=np.ones((len(world.movies), 2)),
    )
    with caplog.at_level(logging.ERROR, logger="recommender.services.serving"):
        page = recommendations_for_user(user=world.action_fan)
    assert page.is_fallback
    expected = ARRAY_SHAPE.format(name="user_factors", shape=(2, 2), expected=(1, 2))
    assert any(expected in r.getMessage() for r in caplog.records)


def test_nn_artifact_with_its_own_embedding_sizes_is_served(world):
    """An nn model's user and movie vectors may differ in size (its head reads both); that is not malformed."""
    model_version_create(
        name="nn",
        user_ids=[world.action_fan.pk, world.romance_fan.pk],
        user_factors=np.ones((2, 3)),
        movie_ids=[m.pk for m in world.movies],
        movie_factors=np.ones((len(world.movies), 2)),
        mlp=(DenseLayer(weight=np.ones((1, 5), dtype=np.float32), bias=np.zeros(1, dtype=np.float32)),),
    )
    served = served_model()
    assert served is not None and served.model.has_mlp
    assert recommendations_for_user(user=world.action_fan).model_version == served.version


def test_a_fixed_activation_recovers_from_a_broken_one(world):
    """After a broken version, activating a sound one serves it."""
    broken = world_model_create(world, name="broken")
    (Path(django_settings.MODEL_DIR) / broken.artifact_dir / SERVING_ARRAYS).write_bytes(b"x")
    assert served_model() is None
    sound = world_model_create(world, name="sound", status=ModelVersion.Status.READY)
    ModelVersion.objects.filter(pk=broken.pk).update(status=ModelVersion.Status.REJECTED)
    ModelVersion.objects.filter(pk=sound.pk).update(status=ModelVersion.Status.ACTIVE)
    assert served_model().version.pk == sound.pk


def test_a_repaired_version_is_read_again_when_it_is_activated_again(world, settings):
    """A broken active version is remembered as broken; once its files are repaired, activating it again makes every
    process read it anew, without a restart."""
    settings.RECOMMENDER_ACTIVE_CHECK_SECONDS = 0
    version = world_model_create(world, name="repaired")
    arrays = Path(django_settings.MODEL_DIR) / version.artifact_dir / SERVING_ARRAYS
    sound = arrays.read_bytes()
    arrays.write_bytes(b"x")
    assert served_model() is None
    arrays.write_bytes(sound)
    assert served_model() is None  # still remembered as broken: not re-read on every request
    assert activation_request(version=version).status == OutcomeStatus.ACTIVATED
    assert served_model().version.pk == version.pk


def test_web_stack_never_imports_torch():
    """Loading the web application, every URL's view and the recommender services leaves torch unimported."""
    code = textwrap.dedent(
        """
        import sys
        from django.core.wsgi import get_wsgi_application
        get_wsgi_application()
        from django.urls import get_resolver
        get_resolver().url_patterns
        import recommender.selectors, recommender.services.serving, recommender.services.onboarding
        import recommender.services.recommendations
        heavy = sorted(name for name in ("torch", "fastai") if name in sys.modules)
        assert not heavy, heavy
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "movierec_site.settings.test"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


def _learned(served, user, ratings: dict) -> bool:
    """Whether the served model learned ``user`` from exactly ``ratings`` ({movie: score})."""
    model = served.model
    rows = np.array([model.movie_index(movie.pk) for movie in ratings])
    return served.learned_from(
        user_row=model.user_index(user.pk), movie_rows=rows, scores=np.array(list(ratings.values()))
    )


@pytest.mark.parametrize("earlier_layout", [False, True], ids=["fingerprints", "earlier layout"])
def test_learned_from_tells_the_ratings_training_saw_from_changed_ones(world, earlier_layout):
    """A model user's ratings as training saw them are learned, in any order; a changed score, an added and a
    removed rating are not. So with an artifact of the layout before fingerprints, which are derived at load."""
    world_model_create(world, earlier_layout=earlier_layout)
    served = served_model()
    assert served is not None and served.model.has_training_ratings == earlier_layout
    fan = world.action_fan
    trained = {r.movie: r.score for r in fan.ratings.order_by("movie_id")}
    assert _learned(served, fan, trained)
    assert _learned(served, fan, dict(reversed(trained.items())))
    first = next(iter(trained))
    assert not _learned(served, fan, {**trained, first: trained[first] - 0.5})
    assert not _learned(served, fan, {**trained, world.action_movies[3]: 4.0})
    assert not _learned(served, fan, {m: s for m, s in trained.items() if m != first})


def test_an_artifact_of_the_earlier_layout_is_served_with_its_ratings(world, settings):
    """An artifact written before fingerprints still serves: its model users from their learned vectors, and a
    newcomer placed the classic way from its training ratings."""
    settings.RECOMMENDER_COLD_START = "classic"
    version = world_model_create(world, earlier_layout=True)
    assert {i.movie for i in recommendations_for_user(user=world.action_fan, limit=2).items} == set(
        world.action_movies[2:]
    )
    alice = UserFactory()
    for movie, score in ((world.romance_movies[0], 5.0), (world.romance_movies[1], 4.0)):
        RatingFactory(user=alice, movie=movie, score=score)
    page = recommendations_for_user(user=alice, limit=2)
    assert page.model_version == version
    assert {i.movie for i in page.items} == set(world.romance_movies[2:])


def test_a_loaded_model_has_what_every_placement_shares_ready(world):
    """Reading a version computes the ranking fold-in's start and the rating model's prior over its users, so that
    the first newcomer waits for no sum over the catalogue or the users."""
    world_model_create(world)
    model = served_model().model
    assert model.served_ranking() in ranking_model._first_points
    assert model in cold_start._priors
