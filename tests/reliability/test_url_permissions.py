"""Every URL pattern of the site, walked from the root resolver: who may use it, checked for an anonymous visitor
and a signed-in user who is not staff.

Each pattern has a class in ACCESS (the admin site is a rule: all of it is staff-only but its login page). A new
pattern without a class fails ``test_every_url_pattern_is_classified``, so nobody adds a page without deciding who
may see it. A refusal is a redirect to a login page, 401 or 403; 405 (a method the pattern does not take) is
neither a refusal nor an admission. Nothing may answer 5xx.
"""

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern

from api.services import token_create
from ratings.models import Movie
from recommender.models import Comparison, ModelVersion
from recommender.services.serving import serving_reset
from tests.factories import MovieFactory, RatingFactory, UserFactory
from tests.recommender.served_models import model_version_create

PUBLIC = "public"  # anyone: GET answers 200 (or 405 where the pattern takes other methods only)
USER = "user"  # signed-in users: anonymous visitors are sent to log in (401 from the API)
STAFF = "staff"  # staff only: anonymous visitors and signed-in users who are not staff are refused
NOT_FOUND = "not found"  # a catch-all that answers 404 to everyone

ACCESS = {
    # recommendations and onboarding
    "home": PUBLIC,
    "onboarding": USER,
    "onboarding-progress": USER,
    "onboarding-skip": USER,
    "onboarding-genres": USER,
    "onboarding-search": USER,
    "onboarding-preview": USER,
    "recommendation-restore": USER,
    # catalogue and ratings
    "movie-list": PUBLIC,
    "movie-detail": PUBLIC,
    "movie-poster": PUBLIC,
    "rating-set": USER,
    "rating-delete": USER,
    "mark-set": USER,
    "mark-delete": USER,
    "my-ratings": USER,
    "my-watchlist": USER,
    "my-hidden": USER,
    "my-data-csv": USER,
    "my-data-json": USER,
    "favicon": PUBLIC,
    # accounts
    "signup": PUBLIC,
    "login": PUBLIC,
    "logout": PUBLIC,
    "password_change": USER,
    "password_change_done": USER,
    "password_reset": PUBLIC,
    "password_reset_done": PUBLIC,
    "password_reset_confirm": PUBLIC,
    "password_reset_complete": PUBLIC,
    "account-data": USER,
    "account-delete": USER,
    "logout-everywhere": USER,
    # the Model section
    "insights:history": STAFF,
    "insights:version": STAFF,
    "insights:activate": STAFF,
    "insights:retrain": STAFF,
    "insights:data": STAFF,
    "insights:comparison-start": STAFF,
    "insights:comparison": STAFF,
    "insights:comparison-promote": STAFF,
    "insights:comparison-stop": STAFF,
    # the API
    "api:openapi-json": PUBLIC,
    "api:openapi-view": PUBLIC,
    "api:api-root": NOT_FOUND,
    "api:signup": PUBLIC,
    "api:token": PUBLIC,  # POST: get a token; DELETE (METHOD_ACCESS): revoke the one in use
    "api:token_delete": PUBLIC,  # the same address as api:token (ninja names one pattern per operation)
    "api:tokens_delete": USER,
    "api:health": PUBLIC,
    "api:live": PUBLIC,
    "api:ready": PUBLIC,  # an orchestrator's probe: anonymous, as /api/health
    "api:movies": PUBLIC,
    "api:movie": PUBLIC,
    "api:similar": PUBLIC,
    "api:ratings": USER,
    "api:rating_put": USER,
    "api:rating_remove": USER,
    "api:recommendations": USER,
    "api:onboarding": USER,
    "api:watchlist": USER,
    "api:watchlist_put": USER,
    "api:watchlist_remove": USER,
    "api:hidden": USER,
    "api:hidden_put": USER,
    "api:hidden_remove": USER,
    "api:export": USER,
    "api:account_remove": USER,
    "api:models": STAFF,
    "api:retrain": STAFF,
    "api:activate": STAFF,
    "api:online": STAFF,
    "api:comparisons": STAFF,
    "api:start": STAFF,
    "api:comparison": STAFF,
    "api:promote": STAFF,
    "api:stop": STAFF,
    r"api/^(?P<rest>[\s\S]*)$": NOT_FOUND,
    "metrics": STAFF,  # or a scraper with METRICS_TOKEN (tests/movierec_site/test_metrics.py)
    # the admin site: staff only (rule below), but for its login page
    "admin:login": PUBLIC,
}
# Patterns whose methods differ: the class of these methods, the pattern's for the others.
METHOD_ACCESS = {
    "api:token": {"delete": USER},
    "api:token_delete": {"delete": USER},
}
ADMIN_PREFIX = "admin/"
# Patterns written as regular expressions: the address that each one is tried at.
REGEX_ADDRESSES = {
    "admin:app_list": "/admin/ratings/",
    "admin/(?P<url>.*)$": "/admin/no/such/page/",
    r"api/^(?P<rest>[\s\S]*)$": "/api/no/such/endpoint",
}
REFUSED = {401, 403}
SITE_METHODS = ("get", "post")
API_METHODS = ("get", "post", "put", "delete")


@dataclass(frozen=True)
class Pattern:
    key: str  # "namespace:name", or the route when the pattern has no name
    route: str  # the full route from the root, e.g. "movies/<int:pk>/"
    namespace: str
    is_regex: bool

    def access(self) -> str | None:
        if self.key in ACCESS:
            return ACCESS[self.key]
        return STAFF if self.route.startswith(ADMIN_PREFIX) else None

    def method_access(self, method: str) -> str | None:
        return METHOD_ACCESS.get(self.key, {}).get(method, self.access())


def url_patterns(resolver: URLResolver | None = None, prefix: str = "", namespaces: tuple = ()) -> Iterator[Pattern]:
    """Every URLPattern under ``resolver`` (the root by default), with its full route and namespace."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, route, (*namespaces, entry.namespace) if entry.namespace else namespaces)
        elif isinstance(entry, URLPattern):
            namespace = ":".join(namespaces)
            key = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or route
            yield Pattern(key, route, namespace, isinstance(entry.pattern, RegexPattern))


def _patterns() -> list[Pattern]:
    import django

    django.setup()
    return list(url_patterns())


PATTERNS = _patterns()


def test_every_url_pattern_is_classified() -> None:
    """No URL pattern is left without an access class: adding a page means deciding who may see it here."""
    unclassified = [f"{p.route} ({p.key})" for p in PATTERNS if p.access() is None]
    assert unclassified == [], "classify these patterns in ACCESS: " + ", ".join(unclassified)
    stale = set(ACCESS) - {p.key for p in PATTERNS}
    assert stale == set(), f"ACCESS names patterns that no longer exist: {stale}"


@dataclass
class Objects:
    """What the patterns' arguments point at: rows that exist, so a refusal is never a 404 in disguise."""

    movie: Movie
    version: ModelVersion
    comparison: Comparison
    user_pk: int


@pytest.fixture
def objects(db: None) -> Iterator[Objects]:
    """A movie rated by another user, an active model (so that /api/health answers 200) and a ready version."""
    movie = MovieFactory()
    owner = UserFactory()
    RatingFactory(user=owner, movie=movie, score=4.0)
    active = model_version_create(
        name=f"url-permissions-{uuid.uuid4().hex}",
        user_ids=[owner.pk],
        user_factors=np.ones((1, 2)),
        movie_ids=[movie.pk],
        movie_factors=np.ones((1, 2)),
    )
    version = ModelVersion.objects.create(status=ModelVersion.Status.READY)
    comparison = Comparison.objects.create(version_a=active, version_b=version, share=0.5)
    serving_reset()
    yield Objects(movie=movie, version=version, comparison=comparison, user_pk=owner.pk)
    serving_reset()


def address(pattern: Pattern, objects: Objects) -> str:
    if pattern.is_regex:
        return REGEX_ADDRESSES[pattern.key]
    pk = objects.movie.pk
    if pattern.namespace == "insights":
        pk = objects.comparison.pk if pattern.route.startswith("insights/comparisons/") else objects.version.pk
    samples = {
        "pk": pk,
        "comparison_id": objects.comparison.pk,
        "movie_id": objects.movie.pk,
        "version_id": objects.version.pk,
        "object_id": objects.movie.pk,
        "content_type_id": ContentType.objects.get_for_model(Movie).pk,
        "id": objects.user_pk,
        "uidb64": "MQ",
        "token": "set-password",
        "mark": "watchlist",
    }
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(samples[m.group(1)]), pattern.route)


def _login_pages() -> tuple[str, ...]:
    # The admin's logout sends a visitor who is not staff to the admin index, which itself asks them to log in.
    return (resolve_url(settings.LOGIN_URL), reverse("admin:login"), reverse("admin:index"))


def is_refusal(response: object) -> bool:
    if response.status_code in REFUSED:
        return True
    return response.status_code == 302 and response["Location"].startswith(_login_pages())


def answers(pattern: Pattern, objects: Objects, client: Client) -> dict[str, object]:
    """The pattern's answer to each method, each from a fresh session (a POST to logout would end it)."""
    url = address(pattern, objects)
    methods = API_METHODS if pattern.route.startswith("api/") else SITE_METHODS
    results = {}
    for method in methods:
        results[method] = getattr(client(), method)(url)
    return results


@pytest.fixture(autouse=True)
def _a_worker_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The readiness check's ping is answered as a running Celery worker would: these tests ask who may use a page,
    and without a worker /api/health/ready rightly answers 503 (tests/api/test_health_ready.py)."""
    from celery import current_app

    monkeypatch.setattr(current_app.control, "ping", lambda timeout: [{"worker@test": {"ok": "pong"}}])


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings: object) -> None:
    """Anonymous POSTs to the API's auth endpoints count in keys of this test only."""
    settings.API_RATE_KEY_PREFIX = f"test:url-permissions:{uuid.uuid4().hex}"


def _anonymous() -> Client:
    return Client(raise_request_exception=False)


@pytest.fixture
def signed_in(db: None) -> object:
    """A fresh client signed in as a user who is neither staff nor superuser, with every model permission
    that matters denied by default; and a Bearer token header for the API."""
    user = UserFactory(username="not-staff", is_staff=False, is_superuser=False)
    token, _ = token_create(user=user)

    def make() -> Client:
        client = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {token}"})
        client.force_login(user)
        return client

    return make


def _describe(results: dict[str, object]) -> str:
    return ", ".join(f"{method.upper()} {response.status_code}" for method, response in results.items())


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.key for p in PATTERNS])
def test_anonymous_visitors_get_only_what_is_public(pattern: Pattern, objects: Objects) -> None:
    """Anonymous: public patterns answer GET with 200 (or 405), user and staff patterns refuse every method
    (a login redirect, 401 or 403; 405 for methods they do not take) and refuse at least one; a method classed
    apart (METHOD_ACCESS) is held to its own class."""
    results = answers(pattern, objects, _anonymous)
    access = pattern.access()
    statuses = {response.status_code for response in results.values()}
    assert max(statuses) < 500, _describe(results)
    if access == PUBLIC:
        assert results["get"].status_code in {200, 405}, _describe(results)
    if access == NOT_FOUND:
        assert statuses == {404}, _describe(results)
    elif access != PUBLIC:
        assert any(is_refusal(r) for r in results.values()), _describe(results)
    for method, response in results.items():
        if pattern.method_access(method) == PUBLIC:
            assert not is_refusal(response), _describe(results)
        elif access != NOT_FOUND:
            assert is_refusal(response) or response.status_code == 405, _describe(results)


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.key for p in PATTERNS])
def test_users_who_are_not_staff_are_kept_out_of_staff_pages(pattern: Pattern, objects: Objects, signed_in) -> None:
    """Signed in without staff status (session and Bearer token): staff patterns refuse every method (admin
    sends to its login page, the Model section and the API answer 403); user and public patterns admit them."""
    results = answers(pattern, objects, signed_in)
    access = pattern.access()
    statuses = {response.status_code for response in results.values()}
    assert max(statuses) < 500, _describe(results)
    if access == STAFF:
        assert all(is_refusal(r) or r.status_code == 405 for r in results.values()), _describe(results)
        assert any(is_refusal(r) for r in results.values()), _describe(results)
    elif access == NOT_FOUND:
        assert statuses == {404}, _describe(results)
    else:
        assert not any(is_refusal(r) for r in results.values()), _describe(results)
        assert any(r.status_code != 405 for r in results.values()), _describe(results)
