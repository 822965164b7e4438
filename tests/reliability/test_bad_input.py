"""Hostile input at every form, query parameter and API body: refused with a 4xx and a message, nothing stored,
nothing echoed unescaped, never a 5xx. A corpus of known attacks first, then Hypothesis on top of it.

The one deliberate exception: the catalogue's and the home page's GET filters (search, year, genre, order, page)
answer 200 with the bad value reported on the page and that filter ignored, so that the live (htmx) search keeps
showing results while someone types; they store nothing, and are checked for escaping like the rest.
"""

import json
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.validators import ProhibitNullCharactersValidator
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from api.auth import CSRF_FAILED
from api.models import ApiToken
from api.routers.me import RATING_NOT_FOUND
from movierec_site.middleware import METHOD_NOT_ALLOWED
from ratings.models import ALLOWED_SCORES, Rating
from ratings.services.ratings import SCORE_INVALID, SCORE_MISSING
from ratings.views import MOVIE_NOT_FOUND, POST_REQUIRED
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

HUGE = "9" * 30
LONG = "A" * 20_000
# Payloads whose raw echo in a page would be markup or script: each must come back escaped, if at all.
MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "<xss-probe>",
]
SQL = ["' OR '1'='1", "1; DROP TABLE ratings_rating; --", "1 UNION SELECT password FROM auth_user", "%' --"]
ODD = ["", " ", "\x00", "\u202e5", "../../etc/passwd", "{{ 7*7 }}", "${7*7}", "%00", "null", "[]", LONG]
BAD_SCORES = [
    "0", "-1", "5.5", "6", "10", "4.25", "0.49", "3.3", "1e308", "-1e308", "1e-320", "nan", "NaN", "inf", "-inf",
    "Infinity", HUGE, "4" * 10_000, "4,5", "4.5.5", "0x4", "4 stars", "0_4", "4e0", "+4", "true",
    "\u0664", "\uff14", "\u00bd",  # an Arabic-Indic four, a full-width four, one half: float() reads the first two
    *MARKUP, *SQL, *ODD[2:],
]  # fmt: skip
PASSWORD = "correct horse battery staple"
# What the rating form says: the service's two messages, and Django's own for a NUL character in any text field.
SCORE_MESSAGES = (SCORE_INVALID, SCORE_MISSING, str(ProhibitNullCharactersValidator.message))
FORM_ERROR = 'class="form-error"'


def assert_escaped(response: object, payloads: list[str]) -> None:
    """No payload that holds markup appears raw in an HTML answer (JSON is not HTML: its type says so)."""
    if not response["Content-Type"].startswith("text/html"):
        return
    body = response.content.decode()
    for payload in payloads:
        if re.search(r"[<>\"']", payload) and len(payload) > 2:
            assert payload not in body, f"{payload!r} echoed unescaped"


def assert_json_refusal(response: object, statuses: set[int]) -> None:
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"], "a refusal says why"


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings) -> None:
    """Every hostile request is counted in keys of this test, with limits that the corpus does not reach."""
    settings.API_RATE_KEY_PREFIX = f"test:bad-input:{uuid.uuid4().hex}"
    settings.API_RATE_AUTH = settings.API_RATE_WRITE_USER = settings.API_RATE_WRITE_ADDRESS = "100000/m"


@pytest.fixture
def movie(db: None) -> object:
    return MovieFactory(title="Fargo", genres=[GenreFactory(name="Crime", slug="crime")])


@pytest.fixture
def user(db: None) -> object:
    return UserFactory(username="mallory")


@pytest.fixture
def site(user: object, client_for) -> Client:
    return client_for(user)


@pytest.fixture
def api(user: object, bearer_for) -> Client:
    return Client(raise_request_exception=False, headers=bearer_for(user))


# --- the rating form -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_bad_scores_are_refused_by_the_rating_form(site: Client, movie: object, htmx: bool) -> None:
    """Every bad score, in a plain form post and from the htmx widget: 422 with the message, no rating stored,
    the input not echoed raw."""
    headers = {"HX-Request": "true"} if htmx else {}
    for score in BAD_SCORES:
        response = site.post(reverse("rating-set", args=[movie.pk]), {"score": score}, headers=headers)
        assert response.status_code == 422, (score, response.status_code)
        assert any(message in response.content.decode() for message in SCORE_MESSAGES), repr(score)
        assert_escaped(response, [score])
    missing = site.post(reverse("rating-set", args=[movie.pk]), {})
    assert missing.status_code == 422
    assert SCORE_MISSING in missing.content.decode()
    assert not Rating.objects.exists()


def test_unknown_and_huge_movie_numbers_are_404_with_a_message(site: Client, movie: object) -> None:
    """An unknown movie, on its page and at both rating endpoints, is a 404 that says so; nothing stored."""
    for pk in ["999999", HUGE, "0"]:
        for url in [f"/movies/{pk}/", f"/movies/{pk}/rating/", f"/movies/{pk}/rating/delete/"]:
            response = site.post(url, {"score": "4"}) if "rating" in url else site.get(url)
            assert response.status_code == 404, url
            assert MOVIE_NOT_FOUND in response.content.decode(), url
    assert not Rating.objects.exists()


@pytest.mark.parametrize("url_name", ["rating-set", "rating-delete"])
def test_the_next_address_of_a_rating_post_never_leaves_the_site(site: Client, movie: object, url_name: str) -> None:
    """A plain form post with a hostile "next" is carried out, and returns to the movie's page instead: another
    site, a script, markup or a view name is never where it goes."""
    hostile = ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "/\\evil.example", "home", *MARKUP]
    for next_url in hostile:
        response = site.post(reverse(url_name, args=[movie.pk]), {"score": "4", "next": next_url})
        assert response.status_code == 302, next_url
        assert response["Location"] == reverse("movie-detail", args=[movie.pk]), next_url
    kept = site.post(reverse("rating-set", args=[movie.pk]), {"score": "4", "next": "/movies/?q=fargo"})
    assert kept["Location"] == "/movies/?q=fargo"


def test_onboarding_skip_ignores_bad_movie_numbers(site: Client, movie: object) -> None:
    """ "Haven't seen it" with a hostile movie number skips nothing and stores nothing; the page still answers."""
    for value in [HUGE, "-1", "abc", *MARKUP, *SQL, LONG]:
        response = site.post(reverse("onboarding-skip"), {"movie": value, "shown": value})
        assert response.status_code == 302, value
    assert site.session.get("onboarding_skipped", []) == []


# --- the catalogue's and home page's filters ----------------------------------------------------------------------


FILTERS = {
    "q": [*MARKUP, *SQL, LONG, "\x00", "%", "_"],
    "year": ["abc", HUGE, "-1", "1e9", *MARKUP],
    "genre": ["nope", *MARKUP, *SQL],
    "order": ["nope", *MARKUP, *SQL],
    "page": ["-1", "0", HUGE, "abc", *MARKUP],
}


@pytest.mark.parametrize("url_name", ["movie-list", "home"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_hostile_filters_are_reported_or_ignored_and_never_echoed_raw(
    client: Client, site: Client, movie: object, url_name: str, htmx: bool
) -> None:
    """Each hostile filter value, anonymous and signed in: a page (200) that escapes whatever it echoes."""
    headers = {"HX-Request": "true", "HX-Target": "movie-results"} if htmx else {}
    for name, values in FILTERS.items():
        for value in values:
            for visitor in (client, site):
                response = visitor.get(reverse(url_name), {name: value}, headers=headers)
                assert response.status_code == 200, (name, value, response.status_code)
                assert_escaped(response, [value])


def test_a_search_is_shown_back_escaped(client: Client, movie: object) -> None:
    """The search box echoes what was typed, escaped."""
    response = client.get(reverse("movie-list"), {"q": "<script>alert(1)</script>"})
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.domain)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "http:evil",
    ],
)
def test_a_movie_page_never_links_a_stored_url_that_is_not_http(client: Client, url: str) -> None:
    """A movie whose stored IMDb URL is not an absolute http(s) URL (written past the importer, say in the database)
    gets the IMDb search link instead; the stored URL is in no href of the page."""
    movie = MovieFactory(title="Fargo", imdb_url=url)
    body = client.get(reverse("movie-detail", args=[movie.pk])).content.decode()
    hrefs = re.findall(r'href="([^"]*)"', body)
    assert "https://www.imdb.com/find/?s=tt&amp;q=Fargo" in body
    assert not [href for href in hrefs if href.replace("&amp;", "&").strip() == url.strip()], hrefs
    assert not [href for href in hrefs if re.match(r"\s*(java|vb)\s*script:|\s*data:", href, re.IGNORECASE)]


# --- API bodies and query parameters ------------------------------------------------------------------------------

BAD_RATING_BODIES = [
    "", "{", "}", "null", "[]", "4", '"4"', "{}", '{"score": 4}', '{"rating": "4"}', '{"rating": true}',
    '{"rating": null}', '{"rating": 4.25}', '{"rating": 0}', '{"rating": 5.5}', '{"rating": -1}',
    '{"rating": 1e308}', '{"rating": -1e308}', '{"rating": 1e-320}', '{"rating": 1e400}', '{"rating": NaN}',
    '{"rating": Infinity}', '{"rating": 99999999999999999999999}', '{"rating": [4]}', '{"rating": {"$gt": 0}}',
    '{"rating": "<script>alert(1)</script>"}', '{"rating": "1; DROP TABLE ratings_rating"}', "<xml/>",
    "rating=4", '{"rating": 4', '{"rating": 4}' + " " * 10 + "garbage", "\x00",
]  # fmt: skip


def test_bad_rating_bodies_are_refused_by_the_api(api: Client, movie: object) -> None:
    """PUT /api/me/ratings/{id} with a malformed or wrong body: a JSON 400 or 422 that says why, nothing stored."""
    url = f"/api/me/ratings/{movie.pk}"
    for body in BAD_RATING_BODIES:
        assert_json_refusal(api.put(url, body, content_type="application/json"), {400, 422})
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "application/xml"]:
        assert_json_refusal(api.put(url, "rating=4", content_type=content_type), {400, 422})
    too_big = json.dumps({"rating": 4, "padding": "x" * 3_000_000})
    assert_json_refusal(api.put(url, too_big, content_type="application/json"), {400})
    assert not Rating.objects.exists()


def test_unknown_movies_are_json_404s_in_the_api(api: Client, movie: object) -> None:
    """Unknown and out-of-range movie numbers: 404 (or 422 beyond a 64-bit integer), never a 5xx; nothing stored."""
    body = json.dumps({"rating": 4})
    for pk in ["999999", "0"]:  # 0 is below the schema's minimum: 422
        assert_json_refusal(api.put(f"/api/me/ratings/{pk}", body, content_type="application/json"), {404, 422})
        assert_json_refusal(api.get(f"/api/movies/{pk}"), {404, 422})
        assert_json_refusal(api.get(f"/api/movies/{pk}/similar"), {404, 422})
    for path in [f"/api/movies/{HUGE}", f"/api/me/ratings/{HUGE}", "/api/movies/-1", "/api/movies/abc"]:
        response = api.put(path, body, content_type="application/json") if "ratings" in path else api.get(path)
        assert_json_refusal(response, {404, 405, 422})
    assert not Rating.objects.exists()


API_QUERIES = {
    "/api/movies": {
        "search": [LONG, *MARKUP, *SQL],
        "genre": ["nope", *MARKUP, *SQL],
        "year": ["abc", HUGE, "-1", "1e9"],
        "ordering": ["nope", *SQL],
        "page": ["-1", "0", HUGE, "abc"],
        "page_size": ["-1", "0", HUGE, "abc"],
    },
    "/api/me/recommendations": {"n": ["0", "-1", "101", HUGE, "1e9", "abc"], "genre": ["nope", *MARKUP]},
    "/api/onboarding/movies": {"n": ["0", "-1", "101", HUGE, "abc"]},
    "/api/me/ratings": {"page": ["-1", "0", HUGE, "abc"]},
}


def test_bad_api_query_parameters_are_refused(api: Client, movie: object) -> None:
    """Each bad query parameter of the API is a JSON 400 or 422 naming the parameter's problem, except a search
    that is merely long or odd, which is either refused (422) or searched for (200)."""
    for path, parameters in API_QUERIES.items():
        for name, values in parameters.items():
            for value in values:
                response = api.get(path, {name: value})
                if name == "search" and response.status_code == 200:
                    continue  # SQL or markup in a search is only text to look for
                assert_json_refusal(response, {400, 422})


def test_bad_credentials_bodies_create_nothing(movie: object) -> None:
    """Sign-up and token requests with hostile usernames, passwords or bodies: JSON 400/401/409/422, no user and
    no token created."""
    client = Client(raise_request_exception=False)
    users, tokens = get_user_model().objects.count(), ApiToken.objects.count()
    bodies = [
        *({"username": name, "password": PASSWORD} for name in [*MARKUP, *SQL, LONG[:200], "", " ", "\x00"]),
        {"username": "fine_name", "password": ""},
        {"username": "fine_name", "password": "x" * 5000},
        {"username": "fine_name"},
        {"password": PASSWORD},
        {"username": ["a"], "password": PASSWORD},
        {"username": {"$ne": ""}, "password": PASSWORD},
    ]
    for body in bodies:
        assert_json_refusal(client.post("/api/auth/signup", body, content_type="application/json"), {400, 409, 422})
        assert_json_refusal(client.post("/api/auth/token", body, content_type="application/json"), {400, 401, 422})
    for raw in ["", "{", "null", "username=x&password=y"]:
        assert_json_refusal(client.post("/api/auth/signup", raw, content_type="application/json"), {400, 422})
    assert get_user_model().objects.count() == users
    assert ApiToken.objects.count() == tokens


# --- account forms ------------------------------------------------------------------------------------------------


def test_hostile_sign_ups_create_nothing_and_say_why(client: Client) -> None:
    """Sign-up with markup, SQL, huge or mismatched fields: the form comes back with its errors (the page's own
    200, as Django's forms do), no user is created, and nothing is echoed raw."""
    users = get_user_model().objects.count()
    for value in [*MARKUP, *SQL, LONG[:500]]:
        for field in ["username", "email"]:
            data = {"username": "fine_name", "email": "fine@example.com", "password1": PASSWORD, "password2": PASSWORD}
            data[field] = value
            response = client.post(reverse("signup"), data)
            assert response.status_code == 200, (field, value)
            assert FORM_ERROR in response.content.decode(), (field, value)
            assert_escaped(response, [value])
    mismatch = {"username": "fine_name", "email": "fine@example.com", "password1": PASSWORD, "password2": "other"}
    assert FORM_ERROR in client.post(reverse("signup"), mismatch).content.decode()
    assert get_user_model().objects.count() == users


def test_hostile_logins_fail_without_echo(client: Client, user: object) -> None:
    """Logins with SQL or markup for a username or password fail with the form's error, and sign nobody in."""
    for value in [*MARKUP, *SQL]:
        response = client.post(reverse("login"), {"username": value, "password": value})
        assert response.status_code == 200
        assert FORM_ERROR in response.content.decode()
        assert_escaped(response, [value])
        assert "_auth_user_id" not in client.session
    response = client.post(reverse("login"), {"username": "mallory", "password": "' OR '1'='1"})
    assert "_auth_user_id" not in client.session


# --- CSRF, methods, other users' data -----------------------------------------------------------------------------


def test_posts_without_a_csrf_token_are_refused_and_change_nothing(user: object, movie: object) -> None:
    """Every form of the site, posted without its CSRF token by a signed-in user (or anonymously for the account
    forms): 403 with the "form expired" explanation; nothing stored, nobody signed in or out."""
    RatingFactory(user=user, movie=movie, score=2.0)
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(user)
    posts = [
        (signed_in, reverse("rating-set", args=[movie.pk]), {"score": "5"}),
        (signed_in, reverse("rating-delete", args=[movie.pk]), {}),
        (signed_in, reverse("onboarding-skip"), {"movie": str(movie.pk)}),
        (signed_in, reverse("logout"), {}),
        (signed_in, reverse("password_change"), {"old_password": PASSWORD, "new_password1": "n" * 20}),
        (Client(enforce_csrf_checks=True), reverse("signup"), {"username": "eve", "password1": PASSWORD}),
        (Client(enforce_csrf_checks=True), reverse("login"), {"username": "mallory", "password": PASSWORD}),
        (Client(enforce_csrf_checks=True), reverse("password_reset"), {"email": "mallory@example.com"}),
    ]
    for client, url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "security token (CSRF)" in response.content.decode(), url
    assert Rating.objects.get(user=user, movie=movie).score == 2.0
    assert signed_in.get(reverse("onboarding")).status_code == 200, "still signed in"
    assert not get_user_model().objects.filter(username="eve").exists()


def test_api_writes_with_the_session_need_the_csrf_header(user: object, movie: object) -> None:
    """A browser session without X-CSRFToken cannot write through the API: JSON 403 that says so, nothing stored."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(user)
    body = json.dumps({"rating": 4})
    response = client.put(f"/api/me/ratings/{movie.pk}", body, content_type="application/json")
    assert_json_refusal(response, {403})
    assert response.json()["detail"].startswith(CSRF_FAILED.split("(")[0])
    assert_json_refusal(client.delete(f"/api/me/ratings/{movie.pk}"), {403})
    assert not Rating.objects.exists()


SITE_PAGES = ["home", "movie-list", "onboarding", "onboarding-progress", "signup"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_wrong_methods_are_405_with_a_message(site: Client, movie: object, method: str) -> None:
    """Pages answer PUT, PATCH and DELETE with 405 and a sentence naming the allowed methods; the rating
    endpoints answer GET with theirs."""
    urls = [reverse(name) for name in SITE_PAGES] + [reverse("movie-detail", args=[movie.pk]), reverse("logout")]
    for url in urls:
        response = getattr(site, method)(url)
        assert response.status_code == 405, url
        assert response.content.decode().startswith(METHOD_NOT_ALLOWED.split("{")[0]), url
    for name in ["rating-set", "rating-delete"]:
        response = site.get(reverse(name, args=[movie.pk]))
        assert (response.status_code, response.content.decode()) == (405, POST_REQUIRED)
    assert not Rating.objects.exists()


def test_nobody_can_change_another_users_ratings(site: Client, api: Client, user: object, movie: object) -> None:
    """Ratings are always the requester's own: deleting through the site or the API touches only one's own
    (the API says there is none), and a body naming another user rates for oneself."""
    victim = UserFactory(username="victim")
    RatingFactory(user=victim, movie=movie, score=5.0)
    site.post(reverse("rating-delete", args=[movie.pk]))
    response = api.delete(f"/api/me/ratings/{movie.pk}")
    assert_json_refusal(response, {404})
    assert response.json() == {"detail": RATING_NOT_FOUND.format(id=movie.pk)}
    body = json.dumps({"rating": 1, "user": victim.pk, "user_id": victim.pk})
    assert api.put(f"/api/me/ratings/{movie.pk}", body, content_type="application/json").status_code == 200
    assert Rating.objects.get(user=victim, movie=movie).score == 5.0
    assert Rating.objects.get(user=user, movie=movie).score == 1.0


def test_a_forged_password_reset_link_changes_nothing(client: Client, user: object) -> None:
    """Another user's reset link with a forged token shows the invalid-link page; the password stays."""
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    url = reverse("password_reset_confirm", args=[uid, "set-password"])
    data = {"new_password1": "pwned pwned 1234", "new_password2": "pwned pwned 1234"}
    for token in ["forged-token", "set-password", "<script>", HUGE]:
        response = client.post(reverse("password_reset_confirm", args=[uid, token]), data, follow=True)
        assert response.status_code in {200, 404}
    client.post(url, data, follow=True)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# --- Hypothesis on top of the corpus ------------------------------------------------------------------------------

PROPERTY = hypothesis_settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
PLAIN_SCORE = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _is_allowed_text(text: str) -> bool:
    spelled = text.strip()
    return len(spelled) <= 8 and PLAIN_SCORE.fullmatch(spelled) is not None and float(spelled) in ALLOWED_SCORES


@PROPERTY
@given(score=st.one_of(st.text(max_size=12), st.sampled_from(["4", "4.5", " 3 ", "05.0", "0.5", "5.0"])))
def test_any_text_as_a_score_is_stored_only_when_it_is_a_half_star(site: Client, user: object, movie: object, score):
    """Any text posted as a score: a half star spelled in plain digits is stored (302); anything else is 422
    with the message and stores nothing. Never a 5xx."""
    Rating.objects.filter(user=user).delete()
    response = site.post(reverse("rating-set", args=[movie.pk]), {"score": score})
    if "\x00" in score:
        assert response.status_code in {400, 422}  # the form refuses NUL characters before the service
        assert not Rating.objects.exists()
    elif _is_allowed_text(score):
        assert response.status_code == 302
        assert Rating.objects.get(user=user, movie=movie).score == float(score.strip())
    else:
        assert response.status_code == 422, (score, response.status_code)
        assert not Rating.objects.exists()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=5,
)


@PROPERTY
@given(rating=st.one_of(JSON_VALUES, st.sampled_from(ALLOWED_SCORES), st.integers(0, 6)))
def test_any_json_rating_is_stored_only_when_it_is_a_half_star(api: Client, user: object, movie: object, rating):
    """Any JSON value as the rating: a number (not a boolean) that is a half star from 0.5 to 5 is stored (200);
    anything else is a JSON 422 (400 for what JSON cannot carry) and stores nothing."""
    Rating.objects.filter(user=user).delete()
    body = json.dumps({"rating": rating})
    response = api.put(f"/api/me/ratings/{movie.pk}", body, content_type="application/json")
    is_number = isinstance(rating, int | float) and not isinstance(rating, bool)
    if is_number and rating in ALLOWED_SCORES:
        assert response.status_code == 200, (rating, response.content)
        assert Rating.objects.get(user=user, movie=movie).score == float(rating)
    else:
        assert_json_refusal(response, {400, 422})
        assert not Rating.objects.exists()


FILTER_NAMES = st.sampled_from(["q", "year", "genre", "order", "page"])


@PROPERTY
@given(filters=st.dictionaries(FILTER_NAMES, st.text(max_size=30), max_size=5))
def test_any_catalogue_filters_answer_a_page_that_escapes_them(client: Client, movie: object, filters: dict):
    """Any text in any of the catalogue's filters: 200, and the filter values are never echoed as markup."""
    probes = {name: f"<xss-probe>{value}" for name, value in filters.items()}
    response = client.get(reverse("movie-list"), probes)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<xss-probe>" not in body


@PROPERTY
@given(query=st.dictionaries(st.sampled_from(["search", "genre", "year", "ordering", "page", "page_size"]),
                             st.text(max_size=30), max_size=4))  # fmt: skip
def test_any_api_catalogue_query_is_answered_or_refused_in_json(client: Client, movie: object, query: dict):
    """Any text in the API's catalogue parameters: 200, or a JSON 400/422 that says why. Never a 5xx."""
    response = Client(raise_request_exception=False).get("/api/movies", query)
    if response.status_code != 200:
        assert_json_refusal(response, {400, 422})
