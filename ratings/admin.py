"""Admin for the catalogue: movies with their rating statistics, genres, ratings, MovieLens tags, marks and rater
profiles."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet
from django.db.models.functions import NullIf
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.text import Truncator, smart_split, unescape_string_literal

from .models import ALLOWED_SCORES, Genre, Movie, MovieMark, Profile, Rating, Tag
from .paginators import LargeTablePaginator

# The ratings list shows a movie's title cut to this many characters.
MOVIE_TITLE_CHARS = 40


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "movielens_id", "ratings", "mean_rating"]
    list_filter = ["genres", "year"]
    search_fields = ["title"]
    filter_horizontal = ["genres"]
    readonly_fields = ["rating_count", "rating_sum"]

    @admin.display(ordering="rating_count", description="ratings")
    def ratings(self, movie: Movie) -> int:
        return movie.rating_count

    @admin.display(ordering=F("rating_sum") / NullIf(F("rating_count"), 0), description="mean rating")
    def mean_rating(self, movie: Movie) -> str:
        return f"{movie.rating_mean:.2f}" if movie.rating_mean is not None else "-"


class ScoreFilter(admin.SimpleListFilter):
    """The allowed scores, listed without reading the table (the default filter asks for the distinct scores)."""

    title = "score"
    parameter_name = "score"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(f"{score:g}", f"{score:g} ★") for score in reversed(ALLOWED_SCORES)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Rating]) -> QuerySet[Rating]:
        value = self.value()
        if value and value in {f"{score:g}" for score in ALLOWED_SCORES}:
            return queryset.filter(score=float(value))
        return queryset


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    # The movie's title cut short, so that Score and Timestamp stay on screen at 1280 px; no date hierarchy, whose
    # distinct-years query took most of a page's time with 100,000 ratings; no full count.
    list_display = ["movie_title", "user", "score", "timestamp"]
    list_filter = [ScoreFilter, "timestamp"]
    raw_id_fields = ["user", "movie"]
    list_select_related = ["user", "movie"]
    search_fields = ["movie__title", "user__username"]
    show_full_result_count = False
    paginator = LargeTablePaginator

    @admin.display(ordering="movie__title", description="movie")
    def movie_title(self, rating: Rating) -> str:
        return Truncator(rating.movie.display_title).chars(MOVIE_TITLE_CHARS)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Rating], search_term: str
    ) -> tuple[QuerySet[Rating], bool]:
        """Every word in the movie's title or the rater's username, as the default search, but matched in the
        movies and users tables first: matching on the joined rows had PostgreSQL compare 1.5 million title and
        username pairs (2 s with 100,000 ratings) where the tables' statistics were not yet gathered."""
        for word in smart_split(search_term):
            if word.startswith(('"', "'")) and word[0] == word[-1]:
                word = unescape_string_literal(word)
            movies = Movie.objects.filter(title__icontains=word).values("pk")
            users = get_user_model().objects.filter(username__icontains=word).values("pk")
            queryset = queryset.filter(Q(movie__in=movies) | Q(user__in=users))
        return queryset, False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Imported from MovieLens, so read-only here; an offensive tag can still be deleted. A movie's tags are the
    list under ?movie__id__exact=, linked from each row's movie: a filter listing every movie would list 60,000."""

    list_display = ["text", "movie_link", "user", "timestamp"]
    list_select_related = ["user", "movie"]
    search_fields = ["text"]
    readonly_fields = ["user", "movie", "text", "timestamp"]
    show_full_result_count = False
    paginator = LargeTablePaginator

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Tag | None = None) -> bool:
        return False

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        return lookup == "movie__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(ordering="movie__title", description="movie")
    def movie_link(self, tag: Tag) -> str:
        title = Truncator(tag.movie.display_title).chars(MOVIE_TITLE_CHARS)
        return format_html('<a href="?movie__id__exact={}">{}</a>', tag.movie_id, title)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "movielens_id", "age", "gender", "occupation", "zip_code"]
    list_filter = ["gender", "occupation"]
    search_fields = ["user__username", "zip_code"]
    raw_id_fields = ["user"]


@admin.register(MovieMark)
class MovieMarkAdmin(admin.ModelAdmin):
    list_display = ["movie", "user", "mark", "created_at"]
    list_filter = ["mark"]
    raw_id_fields = ["user", "movie"]
    list_select_related = ["user", "movie"]
    search_fields = ["movie__title", "user__username"]
    show_full_result_count = False
