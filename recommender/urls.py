"""The recommendations home page and onboarding addresses."""

from django.urls import path

from recommender import views

urlpatterns = [
    path("", views.home_view, name="home"),
    path("welcome/", views.onboarding_view, name="onboarding"),
    path("welcome/progress/", views.onboarding_progress_view, name="onboarding-progress"),
    path("welcome/skip/", views.onboarding_skip_view, name="onboarding-skip"),
]
