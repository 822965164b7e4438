"""The figures of bench/taste.py for one fitted list and one seed: each goal of issue 13, measured alike for every list.

Each function returns figures by key (``taste_table.ROWS`` names them), plus "detail: ..." keys (per genre pair, per
flipped movie) that ``--detail`` prints; None where the list has nothing to show (the popularity list gives no
reasons).
"""

import numpy as np
import pandas as pd
from taste_lists import FittedList, Page
from taste_people import CoRatings, People, Person

from recsys.evaluation import K
from recsys.lists import LIKED_MIN_SCORE
from recsys.metrics import ranking_metrics
from recsys.ranking_model import LIKED_MIN_RATING

PERSONA_TOP = 20
HATED_TOP = 5
DISLIKE_TOP = 100  # a neighbour outside it counts as place DISLIKE_TOP + 1
NEIGHBOURS = 10
LOW_STARS = 3.0
REASON_NEAREST = 20
STABLE_TOP = 50
SIMILAR_MOVIES = 100  # "more like this" for the most rated
SIMILAR_LIMIT = 6  # as the movie page shows
LISTED_MIN_RATINGS = 20  # the goal's, stricter than the 10 that recsys.lists.similar_rows prefers


def personas_figures(*, pages: list[Page], people: People, genres: pd.Series) -> dict[str, float]:
    """Shares of the top 20 of the loved and of the hated genre; share of personas with a movie of the hated genre
    only (not also of the loved one) in their top 5."""
    loved, hated, hated_only = [], [], []
    by_pair: dict[str, list[tuple[float, float]]] = {}
    for persona, page in zip(people.personas, pages, strict=True):
        shown = [genres[m] for m in page.movies[:PERSONA_TOP]]
        loved.append(np.mean([persona.loved in g for g in shown]))
        hated.append(np.mean([persona.hated in g for g in shown]))
        hated_only.append(any(persona.hated in g and persona.loved not in g for g in shown[:HATED_TOP]))
        by_pair.setdefault(f"{persona.loved} / {persona.hated}", []).append((loved[-1], hated[-1]))
    details = {}
    for pair, shares in by_pair.items():
        details[f"detail: loves / hates {pair}: loved share"] = float(np.mean([a for a, _ in shares]))
        details[f"detail: loves / hates {pair}: hated share"] = float(np.mean([b for _, b in shares]))
    return {
        "loved": float(np.mean(loved)),
        "hated": float(np.mean(hated)),
        "hated_top5": float(np.mean(hated_only)),
        **details,
    }


def newcomers_figures(*, pages: dict[int, list[Page]], people: People) -> dict[str, float]:
    """NDCG@10 of each N's served top 10 against the user's later ratings of 4 or more (users with none left out),
    and its standard error over the users (detail)."""
    figures = {}
    for n, group in people.newcomers.items():
        ndcgs = [
            ranking_metrics(top_k={0: page.movies[:K].tolist()}, relevant={0: later}, k=K)[f"ndcg@{K}"]
            for page, (_, later) in zip(pages[n], group, strict=True)
            if later
        ]
        figures[f"ndcg_{n}"] = float(np.mean(ndcgs))
        figures[f"detail: new users, first {n} ratings: NDCG@10 standard error"] = float(
            np.std(ndcgs, ddof=1) / np.sqrt(len(ndcgs))
        )
    return figures


def cards_figures(*, cards: list[tuple[Person, Page]], co: CoRatings) -> dict[str, float | None]:
    """Over top-10 cards of people who rated something 4 or more: the share below 3 stars; the share whose reason is
    among the recommended movie's 20 nearest by co-rating, and the share where some liked movie of the person is
    (the most any choice of reason could reach)."""
    stars, near, reachable, named = [], [], [], []
    for person, page in cards:
        stars.extend(page.stars[:K] < LOW_STARS)
        liked = person.movies[person.scores >= min(LIKED_MIN_SCORE, person.scores.max())]  # as list_reasons
        for i, movie in enumerate(page.movies[:K]):
            nearest = co.nearest(movie=int(movie), limit=REASON_NEAREST)
            reachable.append(bool(np.isin(liked, nearest).any()))
            if page.reasons is not None:
                named.append(page.reasons[i] >= 0)
                if page.reasons[i] >= 0:  # a card that names no movie makes no claim to check
                    near.append(page.reasons[i] in nearest)
    return {
        "below_3": float(np.mean(stars)),
        "reason_near": float(np.mean(near)) if near else None,
        "reason_ceiling": float(np.mean(reachable)) if near else None,
        "reason_named": float(np.mean(named)) if named else None,
    }


def dislikes_figures(*, fitted: FittedList, people: People, co: CoRatings, titles: pd.Series) -> dict[str, float]:
    """After a 5 becomes a 1: how many places down the top 100 the movie's 10 nearest co-rated movies (that the
    person has not rated) move, averaged per flipped movie, then over the movies."""
    by_movie: dict[int, list[float]] = {}
    for movie, person in people.flips:
        neighbours = co.nearest(movie=movie, limit=NEIGHBOURS, exclude=person.movies)
        places = []
        for who in (person, person.rescored(movie=movie, score=1.0)):
            top = fitted.page(person=who, limit=DISLIKE_TOP).movies
            place = {int(m): i + 1 for i, m in enumerate(top)}
            places.append(np.array([place.get(int(m), DISLIKE_TOP + 1) for m in neighbours]))
        by_movie.setdefault(movie, []).append(float(np.mean(places[1] - places[0])))
    details = {
        f"detail: {titles[movie]} 5 -> 1: places down": float(np.mean(moves)) for movie, moves in by_movie.items()
    }
    return {"displacement": float(np.mean([np.mean(moves) for moves in by_movie.values()])), **details}


def stable_figures(*, before: FittedList, after: FittedList, people: People) -> dict[str, float]:
    """Mean absolute change of the stars of a person's top 50 from one training to the next: the held-out users
    placed by fold-in before and learned after; training users learned by both (the retrain's own noise)."""

    def change(person: Person, *, placed: bool) -> float:
        page = before.page(
            person=Person(person.movies, person.scores, person.times) if placed else person, limit=STABLE_TOP
        )
        return float(np.mean(np.abs(after.stars(person=person, movies=page.movies) - page.stars)))

    return {
        "stable": float(np.mean([change(p, placed=True) for p in people.learned])),
        "retrain_noise": float(np.mean([change(p, placed=False) for p in people.stayers])),
    }


def similar_figures(*, fitted: FittedList, train: pd.DataFrame, genres: pd.Series) -> dict[str, float]:
    """ "More like this" (6) for the 100 most-rated movies: share of listed movies with at least 20 ratings, and
    how many of the 6 share a genre with the movie, on average."""
    counts = train["movie"].value_counts()
    known, shared = [], []
    for movie in counts.index[:SIMILAR_MOVIES]:
        listed = fitted.similar(movie=int(movie), limit=SIMILAR_LIMIT)
        known.extend(counts.reindex(listed, fill_value=0).to_numpy() >= LISTED_MIN_RATINGS)
        shared.append(sum(bool(set(genres[m]) & set(genres[movie])) for m in listed))
    return {"similar_known": float(np.mean(known)), "similar_genre": float(np.mean(shared))}


def figures_measure(
    *, fitted: FittedList, people: People, co: CoRatings, train: pd.DataFrame, movies: pd.DataFrame, skip: set[str]
) -> dict[str, float | None]:
    """Every single-training figure of one list (the stable stars need a second training: stable_figures)."""
    genres = movies["genres"]
    persona_pages = [fitted.page(person=p.person, limit=PERSONA_TOP) for p in people.personas]
    newcomer_pages = {
        n: [fitted.page(person=given, limit=K) for given, _ in group] for n, group in people.newcomers.items()
    }
    cards = [(p.person, page) for p, page in zip(people.personas, persona_pages, strict=True)]
    for n, group in people.newcomers.items():
        cards += [
            (given, page)
            for (given, _), page in zip(group, newcomer_pages[n], strict=True)
            if given.scores.max() >= LIKED_MIN_RATING
        ]
    figures = {
        **personas_figures(pages=persona_pages, people=people, genres=genres),
        **newcomers_figures(pages=newcomer_pages, people=people),
        **cards_figures(cards=cards, co=co),
    }
    if "dislikes" not in skip:
        figures |= dislikes_figures(fitted=fitted, people=people, co=co, titles=movies["title"])
    if "similar" not in skip:
        figures |= similar_figures(fitted=fitted, train=train, genres=genres)
    return figures
