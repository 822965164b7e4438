"""The site's list for one user, in numpy: where the user stands, the order, the stars, the reasons.

The web process (``recommender.services.recommendations``) and the benchmarks call the same functions, so what a
benchmark measures is what a person sees. A user the models learned keeps their learned vectors while their
ratings are the ones training saw; anyone else (new, or rated since the retrain) is placed from their ratings.

The order is one score, a sum of standardised parts weighed by ``ListParams`` (bench/taste.py chose them):
- how liked the movie is by everyone: the prior that a person with five ratings is best served by;
- the co-rating neighbours of the movies the person liked, minus those of the movies they disliked: a 1 or a 2
  pushes its neighbours away at once, it never pulls;
- the person's taste by genre, in stars above or below their own mean, shrunk while they have rated few;
- the ranking model, whose weight grows with the number of ratings (it knows a regular well, a newcomer not).
Then one rule makes the order and the stars tell one story: for a person who liked anything, a movie the rating
model expects them to rate below 3 stars never stands above one it expects them to like.
"""

from dataclasses import dataclass

import numpy as np

from recsys.cold_start import ColdStart, user_place, user_prior_prepare
from recsys.ranking_model import ranking_fold_in, ranking_fold_in_prepare
from recsys.rating_model import FactorModel

# "More like this" prefers movies with this many ratings: neighbours found from a handful are mostly noise.
SIMILAR_MIN_RATINGS = 20
# A rating of this or more is a like, of this or less a dislike; a reason is chosen among the liked movies (a
# user with none falls back to their best).
LIKED_MIN_SCORE = 4.0
DISLIKED_MAX_SCORE = 2.0
# A liked movie is named as the reason for a recommendation only when it is among the recommended movie's this
# many nearest by co-ratings: "same era" is not "same taste", and no reason is better than an unbelievable one.
REASON_NEAREST = 20
# A genre names the reason of a card without a movie reason when the person rates it this far above their mean.
GENRE_REASON_MIN_STARS = 0.1
# Stars below this, for a person who liked anything, send a movie below every movie the model expects them to like.
COHERENT_MIN_STARS = 3.0


@dataclass(frozen=True)
class Taste:
    """A user's place in the rating model (vector, bias) and in the ranking model, with the ratings behind it."""

    vector: np.ndarray
    bias: float
    rank_vector: np.ndarray | None  # None when only the rating model was asked for
    rated_rows: np.ndarray  # movie rows of the rated movies the model knows
    rated_scores: np.ndarray
    learned: bool = False  # the vectors are those training learned from exactly these ratings


def user_taste(
    *,
    model: FactorModel,
    movie_rows: np.ndarray,
    scores: np.ndarray,
    times: np.ndarray,
    user_row: int | None = None,
    learned: bool = False,
    method: ColdStart = ColdStart.FOLD_IN,
    with_ranking: bool = True,
) -> Taste | None:
    """Where the user stands, from their ratings of known movies (rows, scores, Unix times); None with nothing to
    go on. ``user_row``: the user's row when training knew them; ``learned``: training saw exactly these ratings.
    Without ``with_ranking`` only the rating model's place is found (a prediction needs no more)."""
    movie_rows = np.asarray(movie_rows, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    if user_row is not None:
        vector, bias = model.user_factors[user_row], float(model.user_bias[user_row])
    elif len(movie_rows):
        vector, bias = user_place(model=model, movie_rows=movie_rows, scores=scores, method=method)
    else:
        return None
    if not with_ranking:
        rank_vector = None
    elif user_row is not None and (learned or not len(movie_rows)):
        # Learned from these very ratings, or none of the rated movies is known any more: nothing newer to go on.
        rank_vector = model.served_ranking().user_factors[user_row]
    else:
        rank_vector = ranking_fold_in(
            model=model.served_ranking(), movie_rows=movie_rows, scores=scores, timestamps=times
        )
    return Taste(vector, bias, rank_vector, movie_rows, scores, learned=user_row is not None and learned)


def taste_prepare(*, model: FactorModel) -> None:
    """Compute now what every placement in ``model`` shares (the rating model's prior over its users, the ranking
    fold-in's start), so that the first person placed after the model is loaded waits for neither: serving calls
    this as it reads a version, while its other threads answer from the model they hold."""
    user_prior_prepare(model=model)
    if model.ranking is not None:
        ranking_fold_in_prepare(model=model.ranking)


def _standardised(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() or 1.0)


def genre_taste(*, model: FactorModel, taste: Taste) -> np.ndarray:
    """[n_genres]: the person's taste for each genre, in stars above (or below) their own mean, shrunk towards 0
    by ``genre_shrinkage`` ratings of the genre."""
    genres = model.served_signals().genres[taste.rated_rows].astype(np.float64)
    rated = len(taste.rated_rows)
    centre = taste.rated_scores.mean() if rated > 1 else (LIKED_MIN_SCORE + DISLIKED_MAX_SCORE) / 2 + 0.5
    return ((taste.rated_scores - centre) @ genres) / (genres.sum(axis=0) + model.list_params.genre_shrinkage)


def list_scores(*, model: FactorModel, taste: Taste) -> np.ndarray:
    """The list's score of every movie row for this person, before the stars' rule (higher first)."""
    signals, weights = model.served_signals(), model.list_params
    scores = weights.prior * signals.prior.astype(np.float64)
    rated = len(taste.rated_rows)
    if not rated:
        return scores
    liked = taste.rated_scores >= LIKED_MIN_SCORE
    disliked = taste.rated_scores <= DISLIKED_MAX_SCORE
    if liked.any() or disliked.any():
        neighbours = signals.pulled(movie_rows=taste.rated_rows[liked], weights=np.ones(int(liked.sum())))
        # A dislike pushes hard on the few movies nearest to it, and leaves the rest of its kind alone.
        neighbours -= weights.dislike * signals.pulled(
            movie_rows=taste.rated_rows[disliked], weights=np.ones(int(disliked.sum())), reach=weights.dislike_reach
        )
        scale = np.sqrt(weights.neighbour_scale / max(rated, weights.neighbour_scale))
        scores += weights.neighbours * scale * neighbours
    if weights.genres and signals.genres.shape[1]:
        taste_by_genre = genre_taste(model=model, taste=taste)
        per_movie = signals.genres @ taste_by_genre / np.maximum(signals.genres.sum(axis=1), 1)
        # Squared, sign kept: a clear, repeated taste for a genre leads; a faint one from a few ratings hardly counts.
        scores += weights.genres * per_movie * np.abs(per_movie)
    if taste.rank_vector is not None and weights.ranking:
        # A vector learned with everyone's ratings is trusted; one folded in from a newcomer's few ratings barely
        # moves the list, and leads it once they have rated many (steeply: a fourth power).
        trust = 1.0 if taste.learned else rated**4 / (rated**4 + weights.ranking_half**4)
        scores += (
            weights.ranking * trust * _standardised(model.served_ranking().scores(taste.rank_vector).astype(np.float64))
        )
    return scores


def list_order(*, model: FactorModel, taste: Taste, candidate_rows: np.ndarray, limit: int | None = None) -> np.ndarray:
    """The candidate rows in the order of the site's list, best first; only the first ``limit`` when given (a page
    needs its own, not the order of a whole catalogue)."""
    candidate_rows = np.asarray(candidate_rows, dtype=np.int64)
    scores = list_scores(model=model, taste=taste)[candidate_rows]
    behind = np.zeros(len(candidate_rows), dtype=bool)
    if len(taste.rated_scores) and taste.rated_scores.max() >= LIKED_MIN_SCORE:
        behind = list_ratings(model=model, taste=taste, movie_rows=candidate_rows) < COHERENT_MIN_STARS
    return candidate_rows[order_first(scores=scores, behind=behind, limit=limit)]


def order_first(*, scores: np.ndarray, behind: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Positions by descending score, those ``behind`` after all others, ties in position order (a stable sort);
    the first ``limit`` of them, found without sorting the rest (each tie at the cut is kept, then cut)."""
    positions = [np.flatnonzero(~behind), np.flatnonzero(behind)]
    first = []
    wanted = len(scores) if limit is None else max(limit, 0)
    for group in positions:
        if wanted <= 0:
            break
        keys = -scores[group]
        if wanted < len(group):
            cut = np.partition(keys, wanted - 1)[wanted - 1]
            group, keys = group[keys <= cut], keys[keys <= cut]
        chosen = group[np.argsort(keys, kind="stable")][:wanted]
        first.append(chosen)
        wanted -= len(chosen)
    return np.concatenate(first) if first else np.empty(0, dtype=np.int64)


def list_ratings(*, model: FactorModel, taste: Taste, movie_rows: np.ndarray) -> np.ndarray:
    """The stars shown beside each listed movie: the rating model's prediction."""
    return model.predict_vector(taste.vector, taste.bias, np.asarray(movie_rows, dtype=np.int64))


def list_reasons(*, model: FactorModel, taste: Taste, movie_rows: np.ndarray) -> np.ndarray:
    """For each listed movie, the rated movie row that explains it: the user's liked movie (their best when none is
    liked) nearest to it by co-ratings among its REASON_NEAREST nearest that share a genre with it; -1 where none
    is (the card then names no movie); empty when the user rated nothing the model knows."""
    movie_rows = np.asarray(movie_rows, dtype=np.int64)
    if not len(taste.rated_rows) or not len(movie_rows):
        return np.empty(0, dtype=np.int64)
    liked_rows = taste.rated_rows[taste.rated_scores >= min(LIKED_MIN_SCORE, taste.rated_scores.max())]
    signals = model.served_signals()
    nearest = signals.neighbour_rows[movie_rows, :REASON_NEAREST]
    # The first of the movie's nearest (nearest first) that the user liked and that shares a genre with it, if any:
    # a blockbuster is near everything by co-ratings, and "because you rated Star Wars" under a comedy convinces no one.
    is_liked = np.isin(nearest, liked_rows)
    if signals.genres.shape[1]:
        shared = (signals.genres[np.maximum(nearest, 0)] & signals.genres[movie_rows][:, None, :]).any(axis=2)
        is_liked &= shared
    first = is_liked.argmax(axis=1)
    return np.where(is_liked.any(axis=1), nearest[np.arange(len(movie_rows)), first], -1)


def similar_rows(*, model: FactorModel, row: int, limit: int) -> np.ndarray:
    """ "More like this" for movie ``row``: its co-rating neighbours, movies with at least SIMILAR_MIN_RATINGS
    ratings first, then those sharing a genre with it, nearest first within each."""
    signals = model.served_signals()
    neighbours = signals.neighbour_rows[row]
    neighbours = neighbours[neighbours >= 0]
    obscure = signals.counts[neighbours] < SIMILAR_MIN_RATINGS
    unrelated = (signals.genres[neighbours].astype(np.int64) @ signals.genres[row]) == 0
    sims = signals.neighbour_sims[row][: len(neighbours)]
    return neighbours[np.lexsort((-sims, unrelated, obscure))][:limit]


def list_genre_reasons(*, model: FactorModel, taste: Taste, movie_rows: np.ndarray) -> list[str | None]:
    """For each listed movie, the name of its genre the person likes most ("because you like Comedy"), when they
    like it clearly (GENRE_REASON_MIN_STARS above their own mean); None otherwise."""
    signals = model.served_signals()
    if not len(taste.rated_rows) or not signals.genres.shape[1]:
        return [None] * len(movie_rows)
    liking = np.where(
        signals.genres[np.asarray(movie_rows, dtype=np.int64)] > 0, genre_taste(model=model, taste=taste), -np.inf
    )
    best = liking.argmax(axis=1)
    return [
        signals.genre_names[genre] if liking[i, genre] >= GENRE_REASON_MIN_STARS else None
        for i, genre in enumerate(best)
    ]
