"""Admin for the model registry: versions with their metrics, activation (rollback) and "retrain now"; the
comparisons' history, read only."""

from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils import timezone
from redis.exceptions import RedisError

from recommender.models import MANAGE_PERMISSION, Comparison, ModelVersion
from recommender.services.outcomes import Outcome
from recommender.services.registry import activation_request
from recommender.services.retrain import retrain_request, retrain_running

ACTIVATE_ONE = "Select exactly one version to activate."


def _metric(version: ModelVersion, name: str) -> str:
    value = version.metrics.get(name)
    return "-" if value is None else f"{value:.4f}"


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    change_list_template = "admin/recommender/modelversion/change_list.html"
    # Short cells, so that every column fits beside the filters at 1280 px: "v3 dot" rather than the __str__, which
    # repeats the status (the algorithm filter gives its full name); a time that can wrap. When a version was
    # activated is on its own page.
    list_display = ["version", "status", "rmse", "mae", "ndcg", "ratings", "training_time", "created"]
    list_filter = ["status", "algorithm"]
    actions = ["activate"]

    # Versions are written by training only; the admin reads them, activates one, or asks for a retrain.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ModelVersion | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ModelVersion | None = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: ModelVersion | None = None) -> bool:
        return request.user.has_perm(MANAGE_PERMISSION) or super().has_view_permission(request, obj)

    def has_activate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(MANAGE_PERMISSION)

    def _tell(self, request: HttpRequest, outcome: Outcome) -> None:
        self.message_user(request, outcome.message, outcome.message_level)

    @admin.display(description="version", ordering="pk")
    def version(self, version: ModelVersion) -> str:
        return f"v{version.pk} {version.algorithm}"

    @admin.display(description="ratings", ordering="n_ratings")
    def ratings(self, version: ModelVersion) -> str:
        return f"{version.n_ratings:,}"

    @admin.display(description="created", ordering="created_at")
    def created(self, version: ModelVersion) -> str:
        return _when(version.created_at)

    @admin.display(description="RMSE")
    def rmse(self, version: ModelVersion) -> str:
        return _metric(version, "rmse")

    @admin.display(description="MAE")
    def mae(self, version: ModelVersion) -> str:
        return _metric(version, "mae")

    @admin.display(description="NDCG@10")
    def ndcg(self, version: ModelVersion) -> str:
        return _metric(version, "ndcg@10")

    @admin.display(description="training", ordering="training_seconds")
    def training_time(self, version: ModelVersion) -> str:
        return "-" if version.training_seconds is None else f"{version.training_seconds:.1f} s"

    @admin.action(description="Activate the selected version (rollback)", permissions=["activate"])
    def activate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        if queryset.count() != 1:
            self.message_user(request, ACTIVATE_ONE, messages.ERROR)
            return
        self._tell(request, activation_request(version=queryset.get()))

    def get_urls(self) -> list[URLPattern]:
        retrain = path(
            "retrain/", self.admin_site.admin_view(self.retrain_view), name="recommender_modelversion_retrain"
        )
        return [retrain, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        try:
            running = retrain_running()
        except RedisError:
            running = False  # the list still shows; the button will say what Redis says when pressed
        context = {
            "retrain_running": running,
            "can_retrain": self.has_activate_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def retrain_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_activate_permission(request):
            raise PermissionDenied
        self._tell(request, retrain_request())
        return redirect("admin:recommender_modelversion_changelist")


@admin.register(Comparison)
class ComparisonAdmin(admin.ModelAdmin):
    """The comparisons' history. They are started, promoted and stopped on the Model pages (or the API), where the
    result is: a row written here would bypass the checks of recommender.services.comparisons."""

    list_display = ["__str__", "share", "status", "started_at", "ended_at"]
    list_filter = ["status"]
    readonly_fields = [field.name for field in Comparison._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Comparison | None = None) -> bool:
        return False
