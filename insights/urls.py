"""URLs of the Model section, mounted under /insights/."""

from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("", views.HistoryView.as_view(), name="history"),
    path("versions/<int:pk>/", views.VersionView.as_view(), name="version"),
    path("versions/<int:pk>/activate/", views.ActivateView.as_view(), name="activate"),
    path("retrain/", views.RetrainView.as_view(), name="retrain"),
    path("comparisons/start/", views.ComparisonStartView.as_view(), name="comparison-start"),
    path("comparisons/<int:pk>/", views.ComparisonView.as_view(), name="comparison"),
    path("comparisons/<int:pk>/promote/", views.ComparisonPromoteView.as_view(), name="comparison-promote"),
    path("comparisons/<int:pk>/stop/", views.ComparisonStopView.as_view(), name="comparison-stop"),
    path("data/", views.DataView.as_view(), name="data"),
]
