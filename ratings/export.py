"""A user's own data, for them to take away: every rating, the watchlist and the hidden movies, as JSON or CSV.

The site's page and the API give the same document; the CSV is the same rows, one list per row.
"""

import csv
import io

from django.contrib.auth.models import User

from ratings.models import Mark, Movie
from ratings.selectors import user_mark_list, user_rating_list

EXPORT_LISTS = ("ratings", "watchlist", "hidden")
CSV_COLUMNS = ("list", "movie_id", "movielens_id", "title", "year", "rating", "date")
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


def user_data_export(*, user: User) -> dict[str, list[dict[str, object]]]:
    """{"ratings": [...], "watchlist": [...], "hidden": [...]}: each entry the movie (id, MovieLens id, title,
    year) and when; ratings with their score. Oldest first, as a log."""
    ratings = user_rating_list(user=user, ordering="oldest")
    marks = {mark: user_mark_list(user=user, mark=mark).order_by("created_at", "pk") for mark in Mark}
    return {
        "ratings": [
            {**_movie_fields(r.movie), "rating": r.score, "rated_at": r.timestamp.isoformat()} for r in ratings
        ],
        "watchlist": [{**_movie_fields(m.movie), "added_at": m.created_at.isoformat()} for m in marks[Mark.WATCHLIST]],
        "hidden": [{**_movie_fields(m.movie), "hidden_at": m.created_at.isoformat()} for m in marks[Mark.HIDDEN]],
    }


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return f"'{value}"
    return "" if value is None else value


def export_csv(data: dict[str, list[dict[str, object]]]) -> str:
    """The export as CSV: one row per rating, watchlist entry and hidden movie, the list named in the first column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for name in EXPORT_LISTS:
        for entry in data[name]:
            date = entry.get("rated_at") or entry.get("added_at") or entry.get("hidden_at")
            row = {**entry, "list": name, "rating": entry.get("rating"), "date": date}
            writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
    return out.getvalue()
