"""A user's own data, for them to take away: every rating, the watchlist and the hidden movies, the lists the site
showed them and what they did from those lists (feedback), as JSON or CSV.

The site's page and the API give the same document; the CSV is the same rows, one entry per row (a list shown is
a row per movie in it).
"""

import csv
import io
from itertools import groupby
from typing import cast

from django.contrib.auth.models import User

from feedback.models import Impression
from feedback.selectors import user_follow_ups, user_impressions
from ratings.models import Mark, Movie
from ratings.selectors import user_mark_list, user_rating_list

EXPORT_LISTS = ("ratings", "watchlist", "hidden", "lists_shown", "list_follow_ups")
CSV_COLUMNS = (
    "list",
    "movie_id",
    "movielens_id",
    "title",
    "year",
    "rating",
    "date",
    "shown_list",
    "position",
    "action",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): such a cell is quoted
# with a leading apostrophe, which spreadsheets show as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _movie_fields(movie: Movie) -> dict[str, object]:
    return {
        "movie_id": movie.pk,
        "movielens_id": movie.movielens_id,
        "title": movie.display_title,
        "year": movie.year,
    }


def _lists_shown(user: User) -> list[dict[str, object]]:
    lists: list[dict[str, object]] = []
    for shown_id, rows in groupby(user_impressions(user=user), key=lambda impression: impression.shown_id):
        movies: list[Impression] = list(rows)
        first = movies[0]
        lists.append(
            {
                "id": str(shown_id),
                "kind": first.kind,
                "model_version": first.model_version_id,
                "shown_at": first.shown_at.isoformat(),
                "movies": [{**_movie_fields(m.movie), "position": m.position} for m in movies],
            }
        )
    return lists


def user_data_export(*, user: User) -> dict[str, list[dict[str, object]]]:
    """{"ratings": [...], "watchlist": [...], "hidden": [...], "lists_shown": [...], "list_follow_ups": [...]}:
    each entry the movie (id, MovieLens id, title, year) and when; ratings with their score; each list shown with
    its movies in order, each follow-up with the list it came from. Oldest first, as a log."""
    ratings = user_rating_list(user=user, ordering="oldest")
    marks = {mark: user_mark_list(user=user, mark=mark).order_by("created_at", "pk") for mark in Mark}
    return {
        "ratings": [
            {**_movie_fields(r.movie), "rating": r.score, "rated_at": r.timestamp.isoformat()} for r in ratings
        ],
        "watchlist": [{**_movie_fields(m.movie), "added_at": m.created_at.isoformat()} for m in marks[Mark.WATCHLIST]],
        "hidden": [{**_movie_fields(m.movie), "hidden_at": m.created_at.isoformat()} for m in marks[Mark.HIDDEN]],
        "lists_shown": _lists_shown(user),
        "list_follow_ups": [
            {
                **_movie_fields(f.movie),
                "shown_list": str(f.shown_id),
                "position": f.position,
                "action": f.action,
                "rating": f.score,
                "at": f.at.isoformat(),
            }
            for f in user_follow_ups(user=user)
        ],
    }


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return f"'{value}"
    return "" if value is None else value


def _csv_entries(data: dict[str, list[dict[str, object]]], name: str) -> list[dict[str, object]]:
    if name != "lists_shown":
        return data[name]
    # A list shown is a row per movie, each with the list's id and time.
    return [
        {**movie, "shown_list": shown["id"], "date": shown["shown_at"]}
        for shown in data[name]
        for movie in cast(list[dict[str, object]], shown["movies"])
    ]


def export_csv(data: dict[str, list[dict[str, object]]]) -> str:
    """The export as CSV: one row per rating, watchlist entry, hidden movie, movie of a list shown and follow-up,
    the part of the export named in the first column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for name in EXPORT_LISTS:
        for entry in _csv_entries(data, name):
            date = entry.get("date") or entry.get("rated_at") or entry.get("added_at") or entry.get("hidden_at")
            row = {column: entry.get(column) for column in CSV_COLUMNS}
            row.update(list=name, date=date or entry.get("at"))
            writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
    return out.getvalue()
