"""Catalogue and rating addresses."""

from django.urls import path

from ratings import views

urlpatterns = [
    path("movies/", views.movie_list_view, name="movie-list"),
    path("movies/<int:pk>/rating/", views.rating_set_view, name="rating-set"),
    path("movies/<int:pk>/rating/delete/", views.rating_delete_view, name="rating-delete"),
]
