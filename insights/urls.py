"""URLs of the Model section, mounted under /insights/."""

from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("", views.HistoryView.as_view(), name="history"),
    path("versions/<int:pk>/", views.VersionView.as_view(), name="version"),
    path("versions/<int:pk>/activate/", views.ActivateView.as_view(), name="activate"),
    path("retrain/", views.RetrainView.as_view(), name="retrain"),
    path("data/", views.DataView.as_view(), name="data"),
]
