"""The recommendations home page (and Undo on its cards), a movie's page and onboarding addresses."""

from django.urls import path

from recommender import views

urlpatterns = [
    path("", views.home_view, name="home"),
    path("movies/<int:pk>/", views.movie_detail_view, name="movie-detail"),
    path(
        "recommendations/<int:pk>/marks/<str:mark>/undo/",
        views.recommendation_restore_view,
        name="recommendation-restore",
    ),
    path("welcome/", views.onboarding_view, name="onboarding"),
    path("welcome/progress/", views.onboarding_progress_view, name="onboarding-progress"),
    path("welcome/skip/", views.onboarding_skip_view, name="onboarding-skip"),
    path("welcome/genres/", views.onboarding_genres_view, name="onboarding-genres"),
    path("welcome/search/", views.onboarding_search_view, name="onboarding-search"),
    path("welcome/preview/", views.onboarding_preview_view, name="onboarding-preview"),
]
