"""The events: every movie of every list shown to a signed-in person (Impression), and what they did from it
(FollowUp: opened the movie, rated it, put it on their watchlist, hid it); and their daily rollup, which the online
metrics read for the days that are over (OnlineDay, MovieShownDay).

A list has no row of its own: its id (``shown_id``) is on each of its movies, so showing a list is one INSERT of
its rows. The model version and the list's kind and day are copied onto the follow-ups, so that the online
metrics count each table by one index, without a join. Versions and movies are referred to without database
constraints: the registry prunes old versions and a log is not rewritten for it (their ids stay, as history).
"""

from typing import Any

from django.conf import settings
from django.db import models


class ListKind(models.TextChoices):
    """Where a list was shown."""

    HOME = "home", "Recommendations page"
    ONBOARDING = "onboarding", "Onboarding: movies to rate"
    ONBOARDING_PREVIEW = "onboarding_preview", "Onboarding: your list so far"
    SIMILAR = "similar", "A movie's page: more like this"
    API_RECOMMENDATIONS = "api_recommendations", "API: recommendations"
    # A comparison's list (the recommendations page's or the API's): two versions' movies drafted into one. Its
    # own kind, so that the versions' online metrics leave it out; the comparison judges it (each row's version
    # is the team whose list the movie came from).
    INTERLEAVED = "interleaved", "Recommendations interleaved from two versions"


# The lists that are the model's recommendations: the online metrics are theirs.
RECOMMENDATION_KINDS = (ListKind.HOME, ListKind.ONBOARDING_PREVIEW, ListKind.API_RECOMMENDATIONS)


class Action(models.TextChoices):
    """What a person did with a movie of a list shown to them."""

    OPENED = "opened", "Opened the movie's page"
    RATED = "rated", "Rated it"
    WATCHLISTED = "watchlisted", "Put it on their watchlist"
    HIDDEN = "hidden", "Not interested"


def _reference(model: str, help_text: str) -> "models.ForeignKey[Any, Any]":
    """A row of another app named by its id alone: no constraint and no index of its own (see the module's)."""
    return models.ForeignKey(
        model,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        help_text=help_text,
    )


def _version_reference() -> "models.ForeignKey[Any, Any]":
    return _reference("recommender.ModelVersion", "The version whose list this was; null for the popularity list")


def _comparison_reference() -> "models.ForeignKey[Any, Any]":
    return _reference(
        "recommender.Comparison", "The comparison whose interleaved list this was; null for one version's list"
    )


class Impression(models.Model):
    """One movie at one position (1 = first) of a list shown to a person."""

    shown_id = models.UUIDField(help_text="The list's id, which its links and forms carry back")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, related_name="+")
    movie = models.ForeignKey(
        "ratings.Movie", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    position = models.PositiveSmallIntegerField()
    model_version = _version_reference()
    kind = models.CharField(max_length=20, choices=ListKind.choices)
    comparison = _comparison_reference()
    shown_at = models.DateTimeField()
    shown_on = models.DateField(help_text="The UTC day of shown_at: the metrics' day")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shown_id", "movie"], name="impression_one_movie_per_list")]
        indexes = [
            models.Index(fields=["user", "shown_at"], name="impression_user"),
            # Covers the metrics' counts: lists (position 1) and distinct movies, by version and day, in the order
            # they are grouped (SQLite otherwise reads the day index to save the sort, and every row with it).
            models.Index(fields=["model_version", "shown_on", "kind", "position", "movie"], name="impression_by_day"),
            # Retention's, by the time rather than the day: an index by day would tempt SQLite's planner to read it
            # in order for the metrics' GROUP BY, and every row with it.
            models.Index(fields=["shown_at"], name="impression_time"),
            # A comparison's people; partial, so that the lists of one version cost it nothing.
            models.Index(
                fields=["comparison", "user"],
                name="impression_comparison",
                condition=models.Q(comparison__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"list {self.shown_id} #{self.position}: movie {self.movie_id}"


class FollowUp(models.Model):
    """What a person did with a movie of a list shown to them, once per list, movie and action (the latest score)."""

    shown_id = models.UUIDField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, related_name="+")
    movie = models.ForeignKey(
        "ratings.Movie", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    score = models.FloatField(null=True, blank=True, help_text="The rating given (rated only)")
    at = models.DateTimeField()
    # Copied from the impression: the list's position of the movie, version, kind, comparison and day.
    position = models.PositiveSmallIntegerField()
    model_version = _version_reference()
    kind = models.CharField(max_length=20, choices=ListKind.choices)
    comparison = _comparison_reference()
    shown_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shown_id", "movie", "action"], name="followup_once_per_list_movie")
        ]
        indexes = [
            models.Index(fields=["user", "at"], name="followup_user"),
            models.Index(fields=["model_version", "shown_on", "kind", "position"], name="followup_by_day"),
            models.Index(fields=["shown_on"], name="followup_day"),
            models.Index(
                fields=["comparison", "shown_id"],
                name="followup_comparison",
                condition=models.Q(comparison__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} movie {self.movie_id} from list {self.shown_id}"


class OnlineDay(models.Model):
    """A version's lists of one kind shown on one UTC day, and what followed them within its first AT positions
    (feedback.metrics' counts), rolled up once the day's follow-ups are in (feedback.rollup): the metrics read a row
    a day here rather than every event. Not personal: no person is named."""

    model_version = _version_reference()
    kind = models.CharField(max_length=20, choices=ListKind.choices)
    shown_on = models.DateField()
    lists = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    liked = models.PositiveIntegerField(default=0)
    watchlisted = models.PositiveIntegerField(default=0)
    hidden = models.PositiveIntegerField(default=0)
    watchlist_adds = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["model_version", "shown_on", "kind"], name="onlineday_by_day"),
            models.Index(fields=["shown_on"], name="onlineday_day"),
        ]

    def __str__(self) -> str:
        return f"{self.shown_on} v{self.model_version_id} {self.kind}: {self.lists} lists"


class MovieShownDay(models.Model):
    """A movie that a version's lists of one kind showed on one UTC day, rolled up with OnlineDay: coverage counts
    the distinct movies of a period here, at most the catalogue's size a day."""

    model_version = _version_reference()
    kind = models.CharField(max_length=20, choices=ListKind.choices)
    shown_on = models.DateField()
    movie = models.ForeignKey(
        "ratings.Movie", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["model_version", "shown_on", "kind", "movie"], name="movieshownday_by_day"),
            models.Index(fields=["shown_on"], name="movieshownday_day"),
        ]

    def __str__(self) -> str:
        return f"{self.shown_on} v{self.model_version_id} {self.kind}: movie {self.movie_id}"
