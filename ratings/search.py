"""Title search as people type it: accents, case and word order ignored, numbers as digits or words, typos
forgiven when nothing matches as typed, and genres named in the query offered.

Two steps. The words as typed are matched in the database: each folded word a substring of the movie's folded
title (``Movie.title_folded``, kept by the model; PostgreSQL finds the substrings through a trigram index, SQLite
scans the column), so every filter and ordering of the catalogue composes with it on both alike. Only
when that finds nothing, each word is matched against the catalogue's vocabulary in Python: a trigram index of
the distinct title words, kept per process (``TitleIndex``), then difflib's ratio on the words that share a
trigram. How it scales (measured on this machine): ml-100k's 1,682 titles have 2,352 distinct words, indexed in
20 ms, a loose query takes a few ms; 60,000 synthetic titles have 71,000 words, indexed in about 2 s (once per
process and catalogue change), a loose query takes 5 to 35 ms. The trigram postings keep the comparisons to the
words that look alike, never the whole vocabulary; past that size the index would be built once and shared (a
pickled file, or PostgreSQL's pg_trgm for the catalogue alone).
"""

import difflib
import re
import threading
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Count, Max, Q

from ratings.folding import text_fold
from ratings.models import Genre, Movie, MovieQuerySet

SEARCH_MAX_WORDS = 8
# A typed word is corrected only from this length on ("toy zzz" must not find "Toy Story" through "zoo"), only to
# a word this alike by difflib's ratio, and at most this many letters longer or shorter ("godfather" is not
# "father", "comedies" not "comes").
FUZZY_MIN_CHARS = 4
FUZZY_MIN_RATIO = 0.8
FUZZY_MAX_LENGTH_CHANGE = 2
# Past this many, the movies matched loosely are too many to be what someone meant.
FUZZY_MAX_MOVIES = 200
# The index is rebuilt when the catalogue's size or newest movie changes, and at least this often (title edits).
INDEX_MAX_AGE_S = 300.0

_NUMBERS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
]  # fmt: skip
# "12 monkeys" and "twelve monkeys" are one search: each number word has its digits as an alternative.
NUMBER_WORDS = {str(value): word for value, word in enumerate(_NUMBERS)} | {
    "30": "thirty", "40": "forty", "50": "fifty", "60": "sixty", "70": "seventy", "80": "eighty", "90": "ninety",
    "100": "hundred", "1000": "thousand",
}  # fmt: skip
_DIGITS_OF = {word: digits for digits, word in NUMBER_WORDS.items()}
# Sequels' numerals, compared as digits in the loose step only ("godfather 2"): a substring "ii" is in "Hawaii".
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
# Words that name a genre without spelling it, folded; a genre's own name and slug are added from the database.
GENRE_SYNONYMS = {
    "scifi": "sci-fi", "science fiction": "sci-fi", "sf": "sci-fi", "space": "sci-fi",
    "kids": "children's", "children": "children's", "family": "children's",
    "animated": "animation", "cartoon": "animation", "cartoons": "animation",
    "funny": "comedy", "comedies": "comedy", "romantic": "romance", "romcom": "romance", "love": "romance",
    "scary": "horror", "noir": "film-noir", "musicals": "musical", "mysteries": "mystery",
    "documentaries": "documentary", "docs": "documentary", "thrillers": "thriller", "westerns": "western",
    "war movies": "war", "crime movies": "crime",
}  # fmt: skip
_GENERIC = ("movies", "movie", "films", "film")


def search_words(query: str) -> list[str]:
    """The folded words of a search; punctuation separates words, so straight and curly apostrophes search alike."""
    return re.findall(r"[a-z0-9]+", text_fold(query))[:SEARCH_MAX_WORDS]


def typed_match(queryset: MovieQuerySet, words: list[str]) -> MovieQuerySet:
    """The movies whose title contains every word as typed (accents, case and order aside)."""
    for word in words:
        spellings = [word, *filter(None, [NUMBER_WORDS.get(word), _DIGITS_OF.get(word)])]
        queryset = queryset.filter(reduce(or_, (Q(title_folded__contains=spelling) for spelling in spellings)))
    return queryset


def _canonical(word: str) -> str:
    """One spelling per number for the loose step: "twelve", "12" and "xii"... -> "12"."""
    return _DIGITS_OF.get(word) or _ROMAN.get(word) or word


def _trigrams(word: str) -> set[str]:
    padded = f" {word} "
    return {padded[index : index + 3] for index in range(len(padded) - 2)}


@dataclass(frozen=True, eq=False)
class TitleIndex:
    """The catalogue's title words, each with the movies it is in, and a trigram index of the words."""

    # canonical word -> movie pks, as machine integers: sets of Python ints took 24 MB at 59,000 titles, these 5
    movies_of: dict[str, array]
    word_frequency: Counter[str]
    words_of_trigram: dict[str, tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        postings: dict[str, list[str]] = {}
        for word in self.movies_of:
            for trigram in _trigrams(word):
                postings.setdefault(trigram, []).append(word)
        object.__setattr__(self, "words_of_trigram", {t: tuple(words) for t, words in postings.items()})

    @classmethod
    def from_titles(cls, titles: list[tuple[int, str]]) -> "TitleIndex":
        movies_of: dict[str, set[int]] = {}
        for pk, title in titles:
            for word in search_words(title) if title else []:
                movies_of.setdefault(_canonical(word), set()).add(pk)
        frequency = Counter({word: len(pks) for word, pks in movies_of.items()})
        return cls(movies_of={w: array("q", sorted(pks)) for w, pks in movies_of.items()}, word_frequency=frequency)

    def alike(self, word: str) -> list[tuple[str, float]]:
        """The vocabulary's words that ``word`` may be meant as, most alike first: itself, the words it begins
        (as someone types), and from FUZZY_MIN_CHARS on those within FUZZY_MIN_RATIO."""
        word = _canonical(word)
        candidates: set[str] = set()
        for trigram in _trigrams(word):
            candidates.update(self.words_of_trigram.get(trigram, ()))
        found = []
        for candidate in candidates:
            if candidate == word:
                found.append((candidate, 2.0))
            elif candidate.startswith(word) and len(word) >= 2:
                found.append((candidate, 1.5))
            elif len(word) >= FUZZY_MIN_CHARS and abs(len(candidate) - len(word)) <= FUZZY_MAX_LENGTH_CHANGE:
                ratio = difflib.SequenceMatcher(None, word, candidate).ratio()
                if ratio >= FUZZY_MIN_RATIO:
                    found.append((candidate, ratio))
        return sorted(found, key=lambda pair: (-pair[1], -self.word_frequency[pair[0]], pair[0]))

    def loose_match(self, words: list[str]) -> tuple[list[int], str | None]:
        """Movies whose title has, for every word, a word alike (best matches first, at most FUZZY_MAX_MOVIES),
        and the query as the catalogue spells it when that differs from the words typed (None otherwise)."""
        if not words:
            return [], None
        scores: Counter[int] = Counter()
        matched: set[int] | None = None
        corrected = []
        for word in words:
            alike = self.alike(word)
            if not alike:
                return [], None
            best_of: dict[int, float] = {}
            for candidate, score in alike:
                for pk in self.movies_of[candidate]:
                    best_of[pk] = max(best_of.get(pk, 0.0), score)
            matched = set(best_of) if matched is None else matched & set(best_of)
            scores.update(best_of)
            best = alike[0][0]
            corrected.append(word if _canonical(word) == best else best)
        ranked = sorted(matched or (), key=lambda pk: (-scores[pk], pk))[:FUZZY_MAX_MOVIES]
        suggestion = " ".join(corrected)
        return ranked, suggestion if ranked and corrected != words else None


_index: tuple[float, tuple[int, int | None], TitleIndex] | None = None
_index_lock = threading.Lock()


def title_index() -> TitleIndex:
    """The index of the catalogue as it is: rebuilt when movies are added or removed, or INDEX_MAX_AGE_S pass."""
    global _index
    state = Movie.objects.aggregate(n=Count("pk"), newest=Max("pk"))
    key = (state["n"], state["newest"])
    held = _index
    if held is not None and held[1] == key and time.monotonic() - held[0] < INDEX_MAX_AGE_S:
        return held[2]
    with _index_lock:
        index = TitleIndex.from_titles(list(Movie.objects.order_by().values_list("pk", "title")))
        _index = (time.monotonic(), key, index)
        return index


def movie_search(queryset: MovieQuerySet, query: str) -> MovieQuerySet:
    """Movies of ``queryset`` whose title contains every word of ``query``, ignoring case, accents and order;
    when none does, those whose words are alike (typos, the start of a word). "les miserables" finds
    "Misérables, Les", "12 monkeys" finds "Twelve Monkeys", "godfater" finds "Godfather, The"."""
    words = search_words(query)
    if not words:
        return queryset
    typed = typed_match(queryset, words)
    if typed.exists():
        return typed
    loose, _ = title_index().loose_match(words)
    return queryset.filter(pk__in=loose)


@dataclass(frozen=True)
class SearchHints:
    """What a results page says beside the movies: a correction, and genres the query names."""

    corrected: str | None = None  # the query as titles spell it, when no title has the words as typed
    genres: list[Genre] = field(default_factory=list)


def _genre_keys(genres: list[Genre]) -> dict[str, Genre]:
    by_name = {text_fold(genre.name): genre for genre in genres}
    keys = {" ".join(search_words(genre.name)): genre for genre in genres}
    keys |= {" ".join(search_words(genre.slug)): genre for genre in genres}
    keys |= {"".join(search_words(genre.name)): genre for genre in genres}  # "scifi", "filmnoir"
    keys |= {key: by_name[name] for key, name in GENRE_SYNONYMS.items() if name in by_name}
    return keys


def genres_named(*, query: str) -> list[Genre]:
    """The genres that ``query`` names: "comedy", "Comedies", "sci-fi", "science fiction", "horror movies"."""
    words = search_words(query)
    while words and words[-1] in _GENERIC:
        words = words[:-1]
    if not words:
        return []
    keys = _genre_keys(list(Genre.objects.all()))
    phrase = " ".join(words)
    for spelling in (phrase, phrase.removesuffix("s"), re.sub(r"ies$", "y", phrase)):
        if spelling in keys:
            return [keys[spelling]]
    return []


def search_hints(*, query: str) -> SearchHints:
    """The correction (when no title has the words as typed) and the genres named, for the results page."""
    words = search_words(query)
    if not words:
        return SearchHints()
    genres = genres_named(query=query)
    if typed_match(Movie.objects.all(), words).exists():
        return SearchHints(genres=genres)
    _, corrected = title_index().loose_match(words)
    return SearchHints(corrected=corrected, genres=genres)
