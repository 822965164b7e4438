"""Staff-only pages of the Model section: version history, one version's insights (offline, and online: how people
responded to its lists), and the data."""

import hashlib
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import UserPassesTestMixin
from django.contrib.auth.models import User
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView
from redis.exceptions import RedisError

from feedback.metrics import online_metrics, online_totals
from insights import selectors
from insights.bar_chart import ratings_over_time_chart
from insights.bins import ratings_binned
from insights.comparison_chart import comparison_chart
from insights.forms import ComparisonStartForm
from insights.online_chart import MEASURES, figure, online_chart
from ratings.models import Rating
from recommender.comparison_results import COMPARISON_TEST
from recommender.models import MANAGE_PERMISSION, Comparison, ModelVersion
from recommender.services.artifacts import ArtifactError
from recommender.services.comparisons import (
    ComparisonError,
    comparison_judge,
    comparison_promote,
    comparison_start,
    comparison_stop,
)
from recommender.services.registry import activation_request
from recommender.services.retrain import retrain_request, retrain_running
from recsys.comparison import Verdict

CACHE_SECONDS = 60 * 60
COMPARISON_STARTED = (
    "Comparison {comparison} started: {share}% of signed-in people now see one list drafted from both versions."
)
COMPARISON_STOPPED = "The comparison is stopped: everyone sees the active version's list again."
T = TypeVar("T")


def _cached(name: str, depends_on: object, build: Callable[[], T]) -> T:
    """Drawing a matplotlib chart takes a noticeable fraction of a second, and counting 100k ratings by day a tenth:
    keep what was built under a digest of everything it depends on, so that a change shows at once."""
    digest = hashlib.sha256(repr(depends_on).encode()).hexdigest()
    return cast(T, cache.get_or_set(f"insights:{name}:{digest}", build, CACHE_SECONDS))


class StaffRequiredMixin(UserPassesTestMixin):
    """Anonymous visitors are sent to the login page; signed-in users who are not staff get 403."""

    request: HttpRequest  # set by the View it is mixed into

    def test_func(self) -> bool:
        user = self.request.user
        return user.is_active and user.is_staff


def _can_manage(request: HttpRequest) -> bool:
    return request.user.has_perm(MANAGE_PERMISSION)


def _retrain_running() -> bool | None:
    try:
        return retrain_running()
    except RedisError:
        return None  # unknown: the page still shows, and the button says what Redis says when pressed


class HistoryView(StaffRequiredMixin, TemplateView):
    template_name = "insights/history.html"

    def get_context_data(self, **kwargs: object) -> dict[str, Any]:
        from insights import charts  # matplotlib: paid for by a page that draws, not at start-up

        versions = selectors.version_history()
        can_manage = _can_manage(self.request)
        return super().get_context_data(
            **kwargs,
            can_manage=can_manage,
            retrain_running=_retrain_running() if can_manage else None,
            section="history",
            page_title="Versions",
            versions=versions,
            # Counted live (three indexed aggregates): the events change with every page someone is shown.
            online=online_totals(version_ids=[v.pk for v in versions]),
            active=next((v for v in versions if v.status == ModelVersion.Status.ACTIVE), None),
            history_svg=_cached(
                "history",
                [(v.pk, v.status, v.created_at, sorted(v.metrics.items())) for v in versions],
                lambda: charts.history_chart(versions),
            ),
            measured=[v for v in reversed(versions) if v.metrics.get("rmse") is not None],
            comparisons=selectors.comparisons_recent(),
            comparison_form=ComparisonStartForm() if can_manage else None,
        )


def version_report(*, version: ModelVersion) -> dict[str, Any]:
    """The numbers and charts of one version's page, built from its verified serving arrays."""
    from insights import charts  # matplotlib: paid for by a page that draws, not at start-up

    model = selectors.version_factor_model(version=version)
    lowest, highest = selectors.movie_bias_extremes(model=model)
    factor_map = selectors.movie_factor_map(model=model)
    predictions = selectors.predicted_ratings_summary(model=model)
    actual = selectors.rating_score_counts()
    return {
        "n_users": len(model.user_ids),
        "n_movies": len(model.movie_ids),
        "n_factors": model.n_factors,
        "y_range": model.y_range,
        # An nn model's head replaces the dot product and its biases are zero: no bias to list.
        "bias_tables": [] if model.has_mlp else [("Lowest bias", lowest), ("Highest bias", highest)],
        "factor_map": factor_map,
        "map_ends": factor_map.ends,
        "factor_map_svg": charts.factor_map_chart(factor_map),
        "predictions": predictions,
        "prediction_svg": charts.prediction_chart(predictions, actual),
        "actual_shares": [(score, n / sum(actual.values())) for score, n in actual.items()],
    }


def online_report(*, version: ModelVersion) -> dict[str, Any]:
    """How people responded to the version's lists, by day and over the days kept: the chart and its table."""
    online = online_metrics(version_id=version.pk, catalogue=version.n_movies)
    return {
        "online": online,
        "retention_days": settings.FEEDBACK_RETENTION_DAYS,
        "online_svg": online_chart(online),
        "online_measures": [measure.title for measure in MEASURES],
        "online_measures_total": [
            (measure.title, figure(measure, measure.value(online, online.total))) for measure in MEASURES
        ],
        "online_days": [
            (day, [figure(measure, measure.value(online, counts)) for measure in MEASURES])
            for day, counts in online.days
        ],
    }


class VersionView(StaffRequiredMixin, TemplateView):
    template_name = "insights/version.html"

    def get_context_data(self, **kwargs: object) -> dict[str, Any]:
        from insights import charts  # matplotlib: paid for by a page that draws, not at start-up

        version = get_object_or_404(ModelVersion, pk=self.kwargs["pk"])
        context = super().get_context_data(
            **kwargs,
            section="history",
            page_title=f"Version v{version.pk}",
            version=version,
            can_manage=_can_manage(self.request),
            losses=version.epoch_losses,
            best_epoch=min(
                (row for row in version.epoch_losses if row.get("valid_loss") is not None),
                key=lambda row: row["valid_loss"],
                default=None,
            ),
            loss_svg=_cached("losses", version.epoch_losses, lambda: charts.loss_chart(version.epoch_losses)),
            **online_report(version=version),
        )
        try:
            # The weights never change; titles and rating counts change slowly enough for an hour's cache.
            report = _cached(
                "version",
                (version.pk, sorted(version.artifact_sha256.items())),
                lambda: version_report(version=version),
            )
        except ArtifactError as error:
            context["artifact_error"] = str(error)
        else:
            context.update(report)
        return context


class ComparisonView(StaffRequiredMixin, TemplateView):
    """A comparison's result so far: which version people prefer, on openings and likes, and what may be done."""

    template_name = "insights/comparison.html"

    def get_context_data(self, **kwargs: object) -> dict[str, Any]:
        comparison = get_object_or_404(
            Comparison.objects.select_related("version_a", "version_b", "started_by"), pk=self.kwargs["pk"]
        )
        result = comparison_judge(comparison=comparison)
        won = result.clicks.verdict == Verdict.B_WINS or result.likes.verdict == Verdict.B_WINS
        return super().get_context_data(
            **kwargs,
            section="history",
            page_title=f"Comparison {comparison.pk}",
            comparison=comparison,
            running=comparison.status == Comparison.Status.RUNNING,
            result=result,
            candidate_won=won,
            signals=[("Openings", result.clicks), ("Likes (4 stars or more)", result.likes)],
            chart_svg=comparison_chart(result, margin=COMPARISON_TEST.margin),
            alpha=COMPARISON_TEST.alpha,
            margin=COMPARISON_TEST.margin,
            can_manage=_can_manage(self.request),
        )


class DataView(StaffRequiredMixin, TemplateView):
    template_name = "insights/data.html"

    def get_context_data(self, **kwargs: object) -> dict[str, Any]:
        # Every count below reads the site users' ratings: their pks are read once, here, for all of them.
        site_ratings = Rating.objects.from_site_users()
        # MovieLens raters' days take a pass over every rating: cached until their number changes. The site users'
        # are read each time, so that a new rating shows at once.
        movielens = _cached(
            "daily-movielens",
            selectors.movielens_ratings_state(site_ratings=site_ratings),
            partial(selectors.movielens_ratings_per_day, site_ratings=site_ratings),
        )
        site = selectors.ratings_per_day(site_ratings)
        daily_svg = ratings_over_time_chart(ratings_binned(movielens), ratings_binned(site))
        return super().get_context_data(
            **kwargs,
            section="data",
            page_title="Data",
            overview=selectors.data_overview(site_ratings=site_ratings),
            daily=[("MovieLens raters", movielens), ("Site users", site)],
            daily_svg=daily_svg,
        )


class ManageView(StaffRequiredMixin, View):
    """POST only, for staff who may change model versions, as in the registry's admin."""

    http_method_names = ["post"]

    def test_func(self) -> bool:
        return super().test_func() and _can_manage(self.request)


class ActivateView(ManageView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        outcome = activation_request(version=get_object_or_404(ModelVersion, pk=pk))
        messages.add_message(request, outcome.message_level, outcome.message)
        return redirect("insights:history")


class RetrainView(ManageView):
    def post(self, request: HttpRequest) -> HttpResponse:
        outcome = retrain_request()
        messages.add_message(request, outcome.message_level, outcome.message)
        return redirect("insights:history")


class ComparisonStartView(ManageView):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = ComparisonStartForm(request.POST)
        if not form.is_valid():
            for error in (message for errors in form.errors.values() for message in errors):
                messages.error(request, str(error))
            return redirect("insights:history")
        try:
            comparison = comparison_start(
                candidate=form.cleaned_data["candidate"],
                share=form.cleaned_data["share"] / 100,
                started_by=cast(User, request.user),
            )
        except ComparisonError as error:
            messages.error(request, str(error))
            return redirect("insights:history")
        messages.success(request, COMPARISON_STARTED.format(comparison=comparison.pk, share=form.cleaned_data["share"]))
        return redirect("insights:comparison", comparison.pk)


class ComparisonPromoteView(ManageView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        outcome = comparison_promote(comparison=get_object_or_404(Comparison, pk=pk))
        messages.add_message(request, outcome.message_level, outcome.message)
        return redirect("insights:comparison", pk)


class ComparisonStopView(ManageView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            comparison_stop(comparison=get_object_or_404(Comparison, pk=pk), stopped_by=cast(User, request.user))
        except ComparisonError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, COMPARISON_STOPPED)
        return redirect("insights:comparison", pk)
