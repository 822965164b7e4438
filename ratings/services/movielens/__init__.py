"""MovieLens import: fetch a copy (GroupLens or the recbole wheel), parse one of three layouts, write it in bulk."""

from .importer import ImportSummary, movielens_import, movielens_username
from .layouts import MovieLensData, MovieRecord, RaterRecord, RatingRecord, movielens_read
from .sources import MovieLensError, SourceFiles, movielens_fetch

__all__ = [
    "ImportSummary",
    "MovieLensData",
    "MovieLensError",
    "MovieRecord",
    "RaterRecord",
    "RatingRecord",
    "SourceFiles",
    "movielens_fetch",
    "movielens_import",
    "movielens_read",
    "movielens_username",
]
