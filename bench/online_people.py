"""Simulated people on the real site, over HTTP: each signs up on the web, rates movies of the onboarding list by
their true taste, then asks the API for their list, opens movies from it and rates them, as their taste says.

A person is a row of the taste model (``recsys.simulated_users``: the true rating of a movie is that row's
prediction) with their own attention (the probability of looking at the list's first position). What they do is
drawn from the position-based click model of ``simulated_responses``; a movie they click is opened on its web page
from the list (``/movies/<id>/?shown_list=<id>``: the site records the open) and rated through the API with the
list's id (the site records the rating as the list's follow-up). Signing up on the web gives a browser session,
which both the pages and the API accept (with its CSRF token on writes): one password hash per person.

Each list shown is kept as the person saw it (``Shown``), so that bench/online.py can count what the simulator did
and set it beside what the site counted.
"""

from dataclasses import dataclass, field

import numpy as np
import requests
from api_load import PASSWORD

from recsys.lists import LIKED_MIN_SCORE
from recsys.rating_model import FactorModel
from recsys.simulated_users import SCORE_RANGE, ClickParams, simulated_responses, true_ratings

ONBOARDING_OFFERED = 20  # movies the onboarding list offers
FIRST_RATINGS = 10  # of them, the ones the person has seen and rates
LIST_LENGTH = 10
TIMEOUT_S = 60


class SiteError(Exception):
    """The site answered what a person's step did not expect."""


@dataclass
class Shown:
    """One list as the person saw it, and what they did from it: positions are 1 = first."""

    shown_list: str
    version: int | None  # the version the API named (the active one; A for an interleaved list)
    movies: list[int]
    opened: list[int] = field(default_factory=list)  # positions opened from the list
    scores: dict[int, float] = field(default_factory=dict)  # position -> the rating given from the list

    @property
    def liked(self) -> bool:
        return any(score >= LIKED_MIN_SCORE for position, score in self.scores.items() if position <= LIST_LENGTH)


@dataclass
class Person:
    """One simulated person: their taste row and attention, their account, what they rated and saw."""

    number: int
    row: int
    attention: float
    rng: np.random.Generator
    username: str = ""
    offered: list[int] = field(default_factory=list)  # the onboarding list's movies
    rated: dict[int, float] = field(default_factory=dict)  # movie -> score, onboarding and lists alike
    seen: list[Shown] = field(default_factory=list)


class Visitor:
    """A person's browser: the session and CSRF cookies, sent by hand (production marks them Secure, which an HTTP
    client keeps off plain HTTP; behind the TLS proxy of a deployment the browser sends them), as bench/load.py
    does."""

    def __init__(self, *, base: str, taste: FactorModel, params: ClickParams, person: Person) -> None:
        self.base, self.taste, self.params, self.person = base, taste, params, person
        self.http = requests.Session()
        self.csrf = ""

    def _check(self, response: requests.Response, *statuses: int) -> requests.Response:
        if response.status_code not in statuses:
            raise SiteError(f"{response.request.method} {response.url}: HTTP {response.status_code}")
        return response

    def signup(self, username: str) -> None:
        """The web sign-up form, which signs the new account in."""
        page = self._check(self.http.get(f"{self.base}/accounts/signup/", timeout=TIMEOUT_S), 200)
        csrf = page.cookies["csrftoken"]
        form = {"csrfmiddlewaretoken": csrf, "username": username, "email": f"{username}@example.com",
                "password1": PASSWORD, "password2": PASSWORD}  # fmt: skip
        done = self.http.post(f"{self.base}/accounts/signup/", data=form, headers={"Cookie": f"csrftoken={csrf}"},
                              timeout=TIMEOUT_S, allow_redirects=False)  # fmt: skip
        self._check(done, 302)
        self.csrf = str(done.cookies.get("csrftoken") or csrf)  # login() rotates it
        self.http.headers["Cookie"] = f"sessionid={done.cookies['sessionid']}; csrftoken={self.csrf}"
        self.person.username = username

    def _scores(self, movies: list[int]) -> np.ndarray:
        """The person's ratings of ``movies`` (true rating plus the click model's noise, in half stars)."""
        truth = true_ratings(taste=self.taste, user_rows=np.array([self.person.row]), movie_ids=np.array([movies]))[0]
        noisy = truth + self.person.rng.normal(0.0, self.params.noise, len(movies))
        return np.clip(np.round(noisy * 2) / 2, *SCORE_RANGE)

    def rate(self, movie: int, score: float, *, shown_list: str | None = None) -> None:
        params = {"shown_list": shown_list} if shown_list else None
        response = self.http.put(f"{self.base}/api/me/ratings/{movie}", json={"rating": float(score)}, params=params,
                                 headers={"X-CSRFToken": self.csrf}, timeout=TIMEOUT_S)  # fmt: skip
        self._check(response, 200)
        self.person.rated[movie] = float(score)

    def onboard(self) -> list[int]:
        """Rates FIRST_RATINGS of the onboarding list's movies, drawn at random (those they have seen); returns the
        movies offered."""
        offered = self._check(
            self.http.get(f"{self.base}/api/onboarding/movies", params={"n": ONBOARDING_OFFERED}, timeout=TIMEOUT_S),
            200,
        ).json()
        movies = [int(movie["id"]) for movie in offered if self.taste.has_movie(int(movie["id"]))]
        chosen = [int(m) for m in self.person.rng.choice(movies, size=min(FIRST_RATINGS, len(movies)), replace=False)]
        for movie, score in zip(chosen, self._scores(chosen), strict=True):
            self.rate(movie, score)
        return movies

    def visit(self) -> Shown | None:
        """Asks for the list, opens what the click model says, rates each movie opened; None for the popularity
        fallback (no version's list)."""
        answer = self._check(
            self.http.get(f"{self.base}/api/me/recommendations", params={"n": LIST_LENGTH}, timeout=TIMEOUT_S), 200
        ).json()
        if answer["source"] != "model" or not answer["shown_list"]:
            return None
        version = answer["model_version"]["id"] if answer["model_version"] else None
        shown = Shown(answer["shown_list"], version, [int(item["movie"]["id"]) for item in answer["items"]])
        responses = simulated_responses(
            taste=self.taste,
            user_rows=np.array([self.person.row]),
            movie_ids=np.array([shown.movies]),
            rng=self.person.rng,
            params=self.params,
            attention=np.array([self.person.attention]),
        )
        for index in np.flatnonzero(responses.clicked[0]):
            movie, position = shown.movies[index], int(index) + 1
            page = self.http.get(f"{self.base}/movies/{movie}/", params={"shown_list": shown.shown_list},
                                 timeout=TIMEOUT_S)  # fmt: skip
            self._check(page, 200)
            shown.opened.append(position)
            score = float(responses.scores[0, index])
            self.rate(movie, score, shown_list=shown.shown_list)
            shown.scores[position] = score
        self.person.seen.append(shown)
        return shown


def person_drive(
    *, base: str, taste: FactorModel, params: ClickParams, person: Person, username: str, visits: int
) -> Person:
    """The person's whole stay: sign up, onboarding, ``visits`` lists."""
    visitor = Visitor(base=base, taste=taste, params=params, person=person)
    visitor.signup(username)
    person.offered = visitor.onboard()
    for _ in range(visits):
        visitor.visit()
    return person


def simulator_counts(people: list[Person], version: int) -> dict[str, int]:
    """What the simulator did with ``version``'s lists, counted as feedback.metrics counts (first 10 positions)."""
    lists = [shown for person in people for shown in person.seen if shown.version == version]
    return {
        "lists": len(lists),
        "opened": sum(any(p <= LIST_LENGTH for p in s.opened) for s in lists),
        "rated": sum(any(p <= LIST_LENGTH for p in s.scores) for s in lists),
        "liked": sum(s.liked for s in lists),
        "movies": len({movie for s in lists for movie in s.movies}),
    }
