"""The Model pages: staff only, and the numbers they show come from the version's own weights."""

import html
import re
from dataclasses import replace

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ratings.models import Rating
from recommender.models import ModelVersion
from recommender.services.artifacts import artifact_path
from recsys.rating_model import DenseLayer
from tests.factories import MovieFactory, ProfileFactory, RatingFactory, UserFactory
from tests.insights.conftest import write_model_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="operator", is_staff=True))
    return client


def page_urls(version: ModelVersion) -> list[str]:
    return [
        reverse("insights:history"),
        reverse("insights:version", args=[version.pk]),
        reverse("insights:data"),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client, written_model) -> None:
    """Every Model page redirects an anonymous visitor to the login page, with a way back."""
    for url in page_urls(written_model.version):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
        assert "next=" in response["Location"]


def test_signed_in_users_who_are_not_staff_are_refused(client, written_model) -> None:
    """A signed-in user without staff status gets 403 on every Model page."""
    client.force_login(UserFactory(username="reader"))
    for url in page_urls(written_model.version):
        assert client.get(url).status_code == 403, url


def test_staff_see_every_page_with_an_inline_chart_and_its_text_alternative(staff_client, written_model) -> None:
    """Each page renders for staff, with inline SVG charts labelled by a caption that carries numbers."""
    for url in page_urls(written_model.version):
        response = staff_client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        assert "<svg" in content and "<figcaption" in content, url
        assert 'role="img" aria-labelledby=' in content, url
        assert "cdn" not in content.lower(), url


def test_history_lists_every_version_with_its_metrics(staff_client, written_model) -> None:
    """The history table and chart caption carry each version's validation RMSE and NDCG@10; the active is marked."""
    older = write_model_version(
        model=written_model.model, status=ModelVersion.Status.REJECTED, metrics={"rmse": 0.9876, "ndcg@10": 0.05}
    )
    content = staff_client.get(reverse("insights:history")).content.decode()
    assert "0.9123" in content and "0.0815" in content  # the active version's RMSE and NDCG@10
    assert "0.9876" in content
    assert f"v{older.pk} RMSE 0.9876" in content
    assert f"v{written_model.version.pk} RMSE 0.9123, NDCG@10 0.0815 (active)" in content


def test_version_page_shows_the_movies_with_the_extreme_biases_of_the_weights(staff_client, written_model) -> None:
    """The bias tables list the movies that have the lowest and highest bias in the saved arrays, in order."""
    response = staff_client.get(reverse("insights:version", args=[written_model.version.pk]))
    weights = written_model.model
    titles = {movie.pk: movie.title for movie in written_model.movies}
    order = np.argsort(weights.movie_bias)
    expected_lowest = [titles[int(weights.movie_ids[row])] for row in order[:10]]
    expected_highest = [titles[int(weights.movie_ids[row])] for row in order[::-1][:10]]

    (low_caption, lowest), (high_caption, highest) = response.context["bias_tables"]
    assert (low_caption, high_caption) == ("Lowest bias", "Highest bias")
    assert [m.title for m in lowest] == expected_lowest
    assert [m.title for m in highest] == expected_highest
    content = response.content.decode()
    assert content.index(expected_lowest[0]) < content.index(expected_lowest[1])
    assert f"{weights.movie_bias.min():.3f}" in content and f"{weights.movie_bias.max():.3f}" in content


def test_version_page_labels_the_factor_map_with_the_most_rated_titles(staff_client, written_model) -> None:
    """The PCA map's SVG has a text label for each of the 50 most rated movies, and for no other movie."""
    response = staff_client.get(reverse("insights:version", args=[written_model.version.pk]))
    svg = response.context["factor_map_svg"]
    labels = {html.unescape(text) for text in _svg_texts(svg)}
    most_rated = {m.title for m in written_model.movies[-50:]}
    assert most_rated <= labels
    assert not ({m.title for m in written_model.movies[:-50]} & labels)
    caption = response.content.decode().split('id="map-caption"')[1].split("</figcaption>")[0]
    assert "50 most rated movies" in caption


def test_version_page_reports_the_loss_curve_numbers(staff_client, written_model) -> None:
    """The loss chart's caption gives every epoch's losses and the best validation epoch."""
    content = staff_client.get(reverse("insights:version", args=[written_model.version.pk])).content.decode()
    assert "epoch 1 train 1.3100, validation 0.9800" in content
    assert "Lowest validation loss 0.8300 at epoch 3" in content


def test_version_page_explains_a_tampered_artifact_instead_of_failing(staff_client, written_model) -> None:
    """A version whose files differ from the registry still has a page, which says why its weights are not shown."""
    (artifact_path(version=written_model.version) / "serving.npz").write_bytes(b"not the model")
    response = staff_client.get(reverse("insights:version", args=[written_model.version.pk]))
    assert response.status_code == 200
    assert "does not match its SHA-256" in response.content.decode()
    assert "bias_tables" not in response.context


def test_data_page_counts_ratings_since_the_active_version(staff_client, written_model) -> None:
    """The data page gives the total number of ratings and how many the active version has not seen."""
    content = staff_client.get(reverse("insights:data")).content.decode()
    assert f"{Rating.objects.count():,} (" in content
    assert "0 ratings dated after the training finished" in content


def test_data_page_counts_in_words_that_agree_with_the_numbers(staff_client) -> None:
    """One of each reads in the singular ("1 MovieLens rater, 1 site account, of which 1 has rated"), and a day
    of site ratings is drawn as bars per day."""
    RatingFactory(user=ProfileFactory(movielens_id=1).user, movie=MovieFactory(), timestamp=timezone.now())
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", staff_client.get(reverse("insights:data")).text)).split())
    assert "(1 MovieLens rater, 1 site account, of which 0 have rated)" in text
    assert "Site users: 0 ratings over 0 days." in text
    RatingFactory(user=get_user_model().objects.get(username="operator"), timestamp=timezone.now())
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", staff_client.get(reverse("insights:data")).text)).split())
    assert "(1 MovieLens rater, 1 site account, of which 1 has rated)" in text
    assert "Site users: 1 rating over 1 day" in text
    assert "Site users: 1 rating, per day" in text
    assert "MovieLens raters: 1 rating over 1 day" in text
    # A MovieLens rater's new rating changes their cached days too.
    RatingFactory(user=ProfileFactory(movielens_id=2).user, movie=MovieFactory(), timestamp=timezone.now())
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", staff_client.get(reverse("insights:data")).text)).split())
    assert "MovieLens raters: 2 ratings over 1 day" in text
    assert "Site users: 1 rating over 1 day" in text


def test_data_page_reads_the_site_users_pks_once(staff_client) -> None:
    """Every count of the data page that reads the site users' ratings shares one read of their pks, with the
    MovieLens raters' days built (an empty cache) as when they are cached."""
    RatingFactory(user=ProfileFactory(movielens_id=1).user, movie=MovieFactory(), timestamp=timezone.now())
    RatingFactory(user=UserFactory(), movie=MovieFactory(), timestamp=timezone.now())
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(reverse("insights:data")).status_code == 200
        sqls = [query["sql"] for query in queries]
        pk_reads = [sql for sql in sqls if '"ratings_profile"' in sql and not sql.startswith("SELECT COUNT")]
        assert len(pk_reads) == 1, pk_reads


def test_pages_show_new_ratings_and_versions_at_once_despite_the_chart_cache(staff_client, written_model) -> None:
    """A rating or a version added after a page was drawn appears on the next visit, in numbers and in the chart."""
    data_url, history_url = reverse("insights:data"), reverse("insights:history")
    staff_client.get(data_url)
    staff_client.get(history_url)
    RatingFactory(user=UserFactory(), movie=written_model.movies[0], timestamp=timezone.now())
    newer = write_model_version(model=written_model.model, status=ModelVersion.Status.READY, metrics={"rmse": 0.9001})

    data = staff_client.get(data_url)
    assert "1 rating dated after the training finished" in data.content.decode()
    assert data.context["daily"][1][1].total == Rating.objects.count()
    history = staff_client.get(history_url).content.decode()
    assert f"v{newer.pk} RMSE 0.9001" in history
    assert any(text.startswith(f"v{newer.pk}") for text in _svg_texts(history))


def test_admin_index_links_to_the_model_section(staff_client) -> None:
    """The admin's dashboard links to the Model section."""
    staff_client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    content = staff_client.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse("insights:history")}"' in content


def _svg_texts(svg: str) -> list[str]:
    return [text.strip() for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_nn_version_page_draws_predictions_through_its_head_and_lists_no_biases(staff_client, written_model) -> None:
    """An nn model (zero biases, an MLP head) gets its page: no bias tables, predictions from its own head."""
    rng = np.random.default_rng(11)
    dot = written_model.model
    width = 2 * dot.n_factors
    head = (
        DenseLayer(
            weight=rng.normal(0, 0.3, (8, width)).astype(np.float32),
            bias=np.zeros(8, np.float32),
            scale=np.ones(8, np.float32),
            shift=np.zeros(8, np.float32),
        ),
        DenseLayer(weight=rng.normal(0, 0.3, (1, 8)).astype(np.float32), bias=np.array([0.4], np.float32)),
    )
    nn_model = replace(dot, user_bias=np.zeros_like(dot.user_bias), movie_bias=np.zeros_like(dot.movie_bias), mlp=head)
    version = write_model_version(model=nn_model, status=ModelVersion.Status.READY, metrics={"rmse": 0.95})

    response = staff_client.get(reverse("insights:version", args=[version.pk]))
    assert response.status_code == 200
    assert response.context["bias_tables"] == []
    assert "no per-movie bias" in response.content.decode()
    rows = np.arange(len(dot.user_ids))
    expected = np.concatenate([nn_model.predict_user(row) for row in rows])
    assert response.context["predictions"].mean == pytest.approx(float(expected.mean()), rel=1e-5)
    assert len(response.context["factor_map"].points) == 50
