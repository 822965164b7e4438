"""The site's lists are recorded as shown, and what people do from them is attributed: the cards' links and forms
carry the list's id (``shown_list``), the movie page opened from a list counts as opened and keeps the id for its own
forms, and ratings and marks (htmx or plain forms) count as the list's follow-ups. An id that is malformed, someone
else's or of a list without the movie is ignored: the action is done, and not attributed."""

import uuid

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from feedback.attribution import SHOWN_LIST_PARAM
from feedback.models import Action, FollowUp, Impression, ListKind
from ratings.models import Mark, Movie, MovieMark, Rating
from recommender.models import ModelVersion
from recommender.views import ONBOARDING_PREVIEW_SHOWN, ONBOARDING_SHOWN, RECOMMENDATIONS_PER_PAGE
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory
from tests.recommender.served_models import model_version_create

HTMX = {"HTTP_HX_REQUEST": "true"}

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_serving")]


@pytest.fixture
def catalogue() -> list[Movie]:
    """Thirty movies rated by twelve raters: two pages of recommendations."""
    drama = GenreFactory(name="Drama", slug="drama")
    movies = [MovieFactory(title=f"Film {index:02d}", genres=[drama]) for index in range(30)]
    for rater in range(12):
        user = UserFactory(username=f"rater{rater}")
        for index, movie in enumerate(movies):
            if (index + rater) % 3:
                RatingFactory(user=user, movie=movie, score=float(1 + (index * 7 + rater) % 5))
    return movies


@pytest.fixture
def version(catalogue: list[Movie]) -> ModelVersion:
    rng = np.random.default_rng(3)
    user_ids = sorted(Rating.objects.values_list("user_id", flat=True).distinct())
    return model_version_create(
        name=f"shown-{uuid.uuid4().hex}",
        user_ids=user_ids,
        user_factors=rng.normal(size=(len(user_ids), 3)),
        movie_ids=[movie.pk for movie in catalogue],
        movie_factors=rng.normal(size=(len(catalogue), 3)),
    )


@pytest.fixture
def member(catalogue: list[Movie]) -> object:
    """A signed-in user with a few ratings, so that the model places them."""
    user = UserFactory(username="member")
    for movie in catalogue[:3]:
        RatingFactory(user=user, movie=movie, score=5.0)
    return user


@pytest.fixture
def signed_in(client: Client, member: object) -> Client:
    client.force_login(member)
    return client


def shown_list(kind: ListKind = ListKind.HOME) -> uuid.UUID:
    return Impression.objects.filter(kind=kind).latest("shown_at").shown_id


def movie_url(movie_id: int, shown: uuid.UUID) -> str:
    return f"{reverse('movie-detail', args=[movie_id])}?{SHOWN_LIST_PARAM}={shown}"


def test_the_home_page_records_its_list_and_its_cards_carry_the_id(signed_in: Client, version: ModelVersion) -> None:
    """One list of the page's movies, at positions 1 to 20, of the active version; each card's links open the
    movie from the list and each card's forms name it."""
    text = signed_in.get(reverse("home")).text
    shown = shown_list()
    rows = list(Impression.objects.filter(shown_id=shown).order_by("position"))
    assert [r.position for r in rows] == list(range(1, RECOMMENDATIONS_PER_PAGE + 1))
    assert {r.model_version_id for r in rows} == {version.pk}
    for row in rows:
        assert f'href="{movie_url(row.movie_id, shown)}"' in text
    assert text.count(f'name="{SHOWN_LIST_PARAM}" value="{shown}"') >= 3 * len(rows)  # stars, watchlist, hide


def test_a_second_page_is_a_list_that_starts_further_down(signed_in: Client, version: ModelVersion) -> None:
    """Page 2 shows positions 21 onwards."""
    signed_in.get(reverse("home"), {"page": 2})
    positions = Impression.objects.filter(shown_id=shown_list()).values_list("position", flat=True)
    assert min(positions) == RECOMMENDATIONS_PER_PAGE + 1


def test_a_visitors_list_is_not_recorded_and_its_links_are_plain(client: Client, catalogue: list[Movie]) -> None:
    """Nobody to attribute to: no event, no id in the page."""
    text = client.get(reverse("home")).text
    assert not Impression.objects.exists() and SHOWN_LIST_PARAM not in text


def test_opening_a_movie_from_the_list_counts_and_its_page_stays_the_lists(
    signed_in: Client, version: ModelVersion
) -> None:
    """The movie page opened from the list: an "opened" follow-up at its position; the page's own rating and marks
    name the list; its "more like this" is a list of its own, whose cards carry that list's id."""
    signed_in.get(reverse("home"))
    shown = shown_list()
    third = Impression.objects.get(shown_id=shown, position=3)
    text = signed_in.get(movie_url(third.movie_id, shown)).text
    opened = FollowUp.objects.get()
    assert (opened.action, opened.shown_id, opened.movie_id, opened.position) == (
        Action.OPENED,
        shown,
        third.movie_id,
        3,
    )
    assert f'name="{SHOWN_LIST_PARAM}" value="{shown}"' in text
    similar = shown_list(ListKind.SIMILAR)
    first_similar = Impression.objects.get(shown_id=similar, position=1)
    assert f'href="{movie_url(first_similar.movie_id, similar)}"' in text


def test_rating_from_the_movie_page_opened_from_the_list_is_the_lists(signed_in: Client, version: ModelVersion) -> None:
    """Opened, then rated 4.5 on its page: both follow-ups of the same list and position."""
    signed_in.get(reverse("home"))
    shown = shown_list()
    movie_id = Impression.objects.get(shown_id=shown, position=2).movie_id
    page = movie_url(movie_id, shown)
    signed_in.get(page)
    response = signed_in.post(
        reverse("rating-set", args=[movie_id]),
        {"score": "4.5", SHOWN_LIST_PARAM: str(shown)},
        HTTP_HX_CURRENT_URL=f"http://testserver{page}",
        **HTMX,
    )
    assert response.status_code == 200
    assert 'id="everyone"' in response.text  # the page's everyone panel is refreshed though its URL has a query
    assert sorted(FollowUp.objects.values_list("action", "score", "position")) == [
        (Action.OPENED, None, 2),
        (Action.RATED, 4.5, 2),
    ]


def test_a_rating_from_a_card_is_the_lists_and_the_widget_swapped_in_stays_so(
    signed_in: Client, version: ModelVersion
) -> None:
    """htmx rating from a card: the rating and its follow-up; the new widget names the list for the next change."""
    signed_in.get(reverse("home"))
    shown = shown_list()
    movie_id = Impression.objects.get(shown_id=shown, position=1).movie_id
    response = signed_in.post(reverse("rating-set", args=[movie_id]), {"score": "3", SHOWN_LIST_PARAM: shown}, **HTMX)
    assert f'name="{SHOWN_LIST_PARAM}" value="{shown}"' in response.text
    assert list(FollowUp.objects.values_list("action", "score", "position")) == [(Action.RATED, 3.0, 1)]
    signed_in.post(reverse("rating-delete", args=[movie_id]), {SHOWN_LIST_PARAM: shown}, **HTMX)
    assert not FollowUp.objects.exists()  # removed again from the card: taken back


def test_a_plain_form_rating_is_attributed_too(signed_in: Client, version: ModelVersion) -> None:
    """Without JavaScript, the card's form posts the same field."""
    signed_in.get(reverse("home"))
    shown = shown_list()
    movie_id = Impression.objects.get(shown_id=shown, position=4).movie_id
    response = signed_in.post(reverse("rating-set", args=[movie_id]), {"score": "5", SHOWN_LIST_PARAM: shown})
    assert response.status_code == 302
    assert FollowUp.objects.get().position == 4


@pytest.mark.parametrize("mark", [Mark.WATCHLIST, Mark.HIDDEN])
def test_marking_a_card_is_the_lists_and_undo_takes_it_back(
    signed_in: Client, version: ModelVersion, mark: Mark
) -> None:
    """Watchlist or not interested from a card: the follow-up; the card's Undo names the list, and undoing
    withdraws the follow-up and brings back a card that still names the list."""
    signed_in.get(reverse("home"))
    shown = shown_list()
    movie_id = Impression.objects.get(shown_id=shown, position=5).movie_id
    data = {SHOWN_LIST_PARAM: str(shown)}
    marked = signed_in.post(reverse("mark-set", args=[movie_id, mark]), data, HTTP_HX_TARGET=f"card-{movie_id}", **HTMX)
    action = {Mark.WATCHLIST: Action.WATCHLISTED, Mark.HIDDEN: Action.HIDDEN}[mark]
    assert list(FollowUp.objects.values_list("action", "position")) == [(action, 5)]
    assert f'name="{SHOWN_LIST_PARAM}" value="{shown}"' in marked.text
    restored = signed_in.post(reverse("recommendation-restore", args=[movie_id, mark]), data, **HTMX)
    assert not FollowUp.objects.exists() and not MovieMark.objects.exists()
    assert f'href="{movie_url(movie_id, shown)}"' in restored.text


@pytest.mark.parametrize("case", ["malformed", "made up", "someone else's", "without the movie"])
def test_a_bad_list_id_is_ignored_and_the_action_is_done(
    signed_in: Client, client: Client, version: ModelVersion, catalogue: list[Movie], case: str
) -> None:
    """The rating, the mark and the movie page work as without an id; nothing is attributed, and the movie page
    does not pass the bad id on to its forms."""
    other = Client()
    other.force_login(UserFactory(username="other"))
    (other if case == "someone else's" else signed_in).get(reverse("home"))
    real = shown_list()
    listed = set(Impression.objects.filter(shown_id=real).values_list("movie_id", flat=True))
    movie = next(m for m in catalogue[3:] if (m.pk not in listed) == (case == "without the movie"))
    bad = {"malformed": "x' OR 1=1 --", "made up": str(uuid.uuid4())}.get(case, str(real))
    page = signed_in.get(reverse("movie-detail", args=[movie.pk]), {SHOWN_LIST_PARAM: bad})
    assert page.status_code == 200 and f'name="{SHOWN_LIST_PARAM}" value="{bad}"' not in page.text
    rated = signed_in.post(reverse("rating-set", args=[movie.pk]), {"score": "4", SHOWN_LIST_PARAM: bad}, **HTMX)
    marked = signed_in.post(reverse("mark-set", args=[movie.pk, Mark.WATCHLIST]), {SHOWN_LIST_PARAM: bad}, **HTMX)
    assert rated.status_code == marked.status_code == 200
    assert Rating.objects.filter(movie=movie, score=4.0).exists() and MovieMark.objects.filter(movie=movie).exists()
    assert not FollowUp.objects.exists()


def test_onboarding_records_the_movies_to_rate_and_the_preview(signed_in: Client, version: ModelVersion) -> None:
    """The onboarding page shows two lists: the movies to rate and the newcomer's list so far; rating one of the
    movies to rate is that list's follow-up."""
    text = signed_in.get(reverse("onboarding")).text
    to_rate, preview = shown_list(ListKind.ONBOARDING), shown_list(ListKind.ONBOARDING_PREVIEW)
    assert Impression.objects.filter(shown_id=to_rate).count() == ONBOARDING_SHOWN
    assert Impression.objects.filter(shown_id=preview).count() == ONBOARDING_PREVIEW_SHOWN
    assert Impression.objects.get(shown_id=preview, position=1).model_version_id == version.pk
    assert f"{SHOWN_LIST_PARAM}={preview}" in text
    movie_id = Impression.objects.get(shown_id=to_rate, position=1).movie_id
    assert f'name="{SHOWN_LIST_PARAM}" value="{to_rate}"' in text
    signed_in.post(reverse("rating-set", args=[movie_id]), {"score": "4", SHOWN_LIST_PARAM: to_rate}, **HTMX)
    assert FollowUp.objects.get().kind == ListKind.ONBOARDING
