"""Admin for the catalogue: movies with their rating statistics, genres, ratings and rater profiles."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Genre, Movie, Profile, Rating


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "movielens_id", "rating_count", "rating_mean"]
    list_filter = ["genres", "year"]
    search_fields = ["title"]
    filter_horizontal = ["genres"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Movie]:
        return super().get_queryset(request).with_rating_stats()

    @admin.display(ordering="rating_count", description="ratings")
    def rating_count(self, movie: Movie) -> int:
        return movie.rating_count

    @admin.display(ordering="rating_mean", description="mean rating")
    def rating_mean(self, movie: Movie) -> str:
        return f"{movie.rating_mean:.2f}" if movie.rating_mean is not None else "-"


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["user", "movie", "score", "timestamp"]
    list_filter = ["score", "timestamp"]
    raw_id_fields = ["user", "movie"]
    list_select_related = ["user", "movie"]
    search_fields = ["movie__title", "user__username"]
    date_hierarchy = "timestamp"
    show_full_result_count = False


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "movielens_id", "age", "gender", "occupation", "zip_code"]
    list_filter = ["gender", "occupation"]
    search_fields = ["user__username", "zip_code"]
    raw_id_fields = ["user"]
