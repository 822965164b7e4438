"""Movies, genres, rater profiles, ratings, MovieLens tags and marks (watchlist, not interested): one table of ratings
for MovieLens raters and site users."""

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import ExpressionWrapper, F, FloatField, Q, Value

from ratings.folding import text_fold

# The site accepts half stars; MovieLens 100k uses whole stars, a subset.
MIN_SCORE = 0.5
MAX_SCORE = 5.0
ALLOWED_SCORES = tuple(step / 2 for step in range(1, 11))

# MovieLens files a title under its first significant word: "Shawshank Redemption, The", "Misérables, Les",
# "Oeil de Vichy, L'". These are the articles it moves; "Paris, Texas" keeps its comma.
TRAILING_ARTICLES = (
    "The", "A", "An", "La", "Le", "Les", "L'", "Il", "Lo", "Gli", "El", "Los", "Las", "Der", "Die", "Das", "Den",
    "Det", "O", "Un", "Une",
)  # fmt: skip
_TRAILING_ARTICLE = re.compile(r"^(?P<rest>.+), (?P<article>" + "|".join(map(re.escape, TRAILING_ARTICLES)) + r")$")
# An IMDb title id: "tt" and at least seven digits (links.csv writes the digits alone: 0114709 is tt0114709).
IMDB_ID = re.compile(r"tt\d{7,10}")
_ALTERNATE_TITLE = re.compile(r"^(?P<main>.+?) \((?P<alternate>[^()]+)\)$")


def natural_title(title: str) -> str:
    """The title as people say it: "Big Blue, The (Grand bleu, Le)" -> "The Big Blue (Le Grand bleu)"."""
    main, alternate = natural_title_parts(title)
    return f"{main} ({alternate})" if alternate else main


def natural_title_parts(title: str) -> tuple[str, str]:
    """The natural title and its alternate (often the original title), apart: ("The Big Blue", "Le Grand bleu");
    the alternate is "" when there is none. A poster sets them in two sizes."""
    alternate = _ALTERNATE_TITLE.match(title)
    if alternate:
        return natural_title(alternate["main"]), _article_moved(alternate["alternate"])
    return _article_moved(title), ""


def _article_moved(title: str) -> str:
    moved = _TRAILING_ARTICLE.match(title)
    if not moved:
        return title
    article = moved["article"]
    return f"{article}{moved['rest']}" if article.endswith("'") else f"{article} {moved['rest']}"


class Genre(models.Model):
    name = models.CharField(max_length=50, unique=True)
    slug = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MovieQuerySet(models.QuerySet["Movie"]):
    def in_genre(self, slug: str) -> "MovieQuerySet":
        return self.filter(genres__slug=slug)

    def with_bayesian_mean(self, *, prior_mean: float, prior_weight: float) -> "MovieQuerySet":
        """Shrink each mean towards the global mean, so that one 5-star rating cannot top a list."""
        shrunk = (F("rating_sum") + Value(prior_mean * prior_weight)) / (F("rating_count") + Value(prior_weight))
        return self.annotate(bayesian_mean=ExpressionWrapper(shrunk, output_field=FloatField()))


def http_url(url: str) -> str:
    """``url`` when it is an absolute http(s) URL, else "": a link made from imported or edited data must never be
    javascript:, data: or anything else a browser would run or open locally (urlsplit drops the tabs, newlines and
    leading blanks that browsers ignore, so "java<TAB>script:" is read as the browser reads it)."""
    parts = urlsplit(url)
    return url if parts.scheme.lower() in {"http", "https"} and parts.netloc else ""


class Movie(models.Model):
    movielens_id = models.PositiveIntegerField(unique=True, null=True, blank=True)
    title = models.CharField(max_length=255, db_index=True)
    # What the catalogue's search matches words in (ratings.search); set from the title on every save, and by the
    # importer, whose bulk insert does not call save().
    title_folded = models.CharField(max_length=255, blank=True, editable=False)
    year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    release_date = models.DateField(null=True, blank=True)
    imdb_url = models.URLField(max_length=500, blank=True)
    # From MovieLens's links.csv (ml-latest, ml-25m): how TMDB finds the movie's poster and overview.
    imdb_id = models.CharField(max_length=16, blank=True)
    tmdb_id = models.PositiveIntegerField(null=True, blank=True)
    genres = models.ManyToManyField(Genre, related_name="movies", blank=True)
    # Filled by `manage.py posters_fetch` (ratings.services.poster_fetch): the poster's file under POSTER_DIR, or
    # "" when TMDB has none, and when TMDB was asked, so that a second run skips the movie.
    overview = models.TextField(blank=True)
    poster_file = models.CharField(max_length=100, blank=True)
    tmdb_fetched_at = models.DateTimeField(null=True, blank=True)
    # Kept by the database's triggers on the ratings table (ratings.rating_stats), never written by the site.
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    rating_sum = models.FloatField(default=0.0, editable=False)

    objects = MovieQuerySet.as_manager()

    class Meta:
        # The stored title is MovieLens's filing form, so this order ignores a leading article, as a library does.
        ordering = ["title"]
        # The catalogue's default order ("most rated", ties by title), read from the index: at 59,000 movies a deep
        # page sorted the whole table in 49 ms, and reads the index in 20 to 29 ms.
        indexes = [models.Index(fields=["-rating_count", "title"], name="movie_popular_order_idx")]

    def __str__(self) -> str:
        return f"{self.display_title} ({self.year})" if self.year else self.display_title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.title_folded = text_fold(self.title)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "title" in update_fields:
            kwargs["update_fields"] = {*update_fields, "title_folded"}
        super().save(*args, **kwargs)

    @property
    def display_title(self) -> str:
        """The title as shown everywhere: "The Shawshank Redemption", not "Shawshank Redemption, The"."""
        return natural_title(self.title)

    @property
    def rating_mean(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None

    @property
    def imdb_link(self) -> str:
        """The IMDb URL when it may be a link (http_url), else the IMDb page of ``imdb_id`` (links.csv), else ""."""
        if link := http_url(self.imdb_url):
            return link
        return f"https://www.imdb.com/title/{self.imdb_id}/" if IMDB_ID.fullmatch(self.imdb_id) else ""


class Profile(models.Model):
    """Demographics of a rater; ``movielens_id`` marks an account imported from MovieLens."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    movielens_id = models.PositiveIntegerField(unique=True, null=True, blank=True)
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    gender = models.CharField(max_length=1, blank=True)
    occupation = models.CharField(max_length=50, blank=True)
    zip_code = models.CharField(max_length=10, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class RatingQuerySet(models.QuerySet["Rating"]):
    def from_movielens(self) -> "RatingQuerySet":
        return self.filter(user__profile__movielens_id__isnull=False)

    def from_site_users(self) -> "RatingQuerySet":
        """The ratings of accounts that are not MovieLens raters, read by the accounts' pks, taken once here: the site's
        own accounts are few beside the MovieLens raters, so their pks and an indexed read of their ratings cost
        milliseconds where a join of every rating with its rater's profile reads the whole table (25 million rows)."""
        site_users = get_user_model().objects.exclude(profile__movielens_id__isnull=False)
        return self.filter(user_id__in=list(site_users.values_list("pk", flat=True)))


class Rating(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings")
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="ratings")
    score = models.FloatField()
    timestamp = models.DateTimeField(db_index=True)

    objects = RatingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "movie"], name="rating_one_per_user_and_movie"),
            models.CheckConstraint(condition=Q(score__in=ALLOWED_SCORES), name="rating_score_half_stars_0_5_to_5"),
        ]
        # The unique constraint (user, movie) already serves reads by user; this one serves reads by movie.
        indexes = [models.Index(fields=["movie", "score"], name="rating_movie_score_idx")]

    def __str__(self) -> str:
        return f"{self.user} rated {self.movie}: {self.score}"


# MovieLens caps a tag at 255 characters; a longer one in a file is not a MovieLens tag.
TAG_MAX_LENGTH = 255


class Tag(models.Model):
    """A free-text tag a MovieLens rater gave a movie (tags.csv of ml-latest, ml-20m, ml-25m, ml-32m)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tags")
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="tags")
    text = models.CharField(max_length=TAG_MAX_LENGTH)
    timestamp = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "movie", "text"], name="tag_one_per_user_movie_text")]
        # The unique constraint serves reads by user; this one the movie page's count of each tag of one movie,
        # from the index alone.
        indexes = [models.Index(fields=["movie", "text"], name="tag_movie_text_idx")]

    def __str__(self) -> str:
        return f"{self.user} tagged {self.movie}: {self.text}"


class RatingStatsPause(models.Model):
    """While a row exists, the rating triggers leave the movies' counts alone: the bulk import writes one inside its
    transaction (invisible to every other), loads, recounts and deletes it (ratings.services.rating_stats)."""

    started_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"rating statistics paused since {self.started_at}"


class Mark(models.TextChoices):
    """A user's note on a movie besides a rating: they want to watch it, or do not want it recommended."""

    WATCHLIST = "watchlist", "Want to watch"
    HIDDEN = "hidden", "Not interested"


class MovieMark(models.Model):
    """One mark per user and movie: hiding a movie on the watchlist takes it off the watchlist."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="movie_marks")
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="marks")
    mark = models.CharField(max_length=10, choices=Mark.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "movie"], name="moviemark_one_per_user_and_movie"),
            models.CheckConstraint(condition=Q(mark__in=Mark.values), name="moviemark_mark_known"),
        ]
        indexes = [models.Index(fields=["user", "mark", "created_at"], name="moviemark_user_mark_idx")]

    def __str__(self) -> str:
        return f"{self.user} marked {self.movie}: {self.get_mark_display()}"
