"""Catalogue, poster, rating and mark addresses, and the signed-in user's own lists and export."""

from django.urls import path

from ratings import mark_views, mine_views, poster_views, views

urlpatterns = [
    path("movies/", views.movie_list_view, name="movie-list"),
    path("movies/<int:pk>/poster", poster_views.poster_view, name="movie-poster"),
    path("movies/<int:pk>/rating/", views.rating_set_view, name="rating-set"),
    path("movies/<int:pk>/rating/delete/", views.rating_delete_view, name="rating-delete"),
    path("movies/<int:pk>/marks/<str:mark>/", mark_views.mark_set_view, name="mark-set"),
    path("movies/<int:pk>/marks/<str:mark>/delete/", mark_views.mark_delete_view, name="mark-delete"),
    path("me/ratings/", mine_views.my_ratings_view, name="my-ratings"),
    path("me/watchlist/", mark_views.watchlist_view, name="my-watchlist"),
    path("me/hidden/", mark_views.hidden_view, name="my-hidden"),
    path("me/export.csv", mine_views.export_csv_view, name="my-data-csv"),
    path("me/export.json", mine_views.export_json_view, name="my-data-json"),
    path("favicon.ico", views.favicon_view, name="favicon"),
]
