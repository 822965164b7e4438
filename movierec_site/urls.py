"""Root URL configuration: the site, the admin and the API."""

from django.contrib import admin
from django.urls import include, path

from api.web_views import logout_everywhere_view
from movierec_site.metrics import metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("insights/", include("insights.urls")),
    path("accounts/logout-everywhere/", logout_everywhere_view, name="logout-everywhere"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("api.urls")),
    path("metrics", metrics, name="metrics"),
    path("", include("ratings.urls")),
    path("", include("recommender.urls")),
]

# A database that does not answer is a 503 page (JSON under /api/) instead of the 500 page.
handler500 = "movierec_site.views.server_error"
