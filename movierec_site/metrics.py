"""GET /metrics: Prometheus's text format, for staff or a bearer token (METRICS_TOKEN).

Request counts and latencies by route (the recommendations pages and API among them) are counted in each web process;
with PROMETHEUS_MULTIPROC_DIR set (make run sets it), every worker of gunicorn writes there and a scrape adds them up.
The model and the ratings are read from the database at each scrape, so any process tells the same: the active
version, versions by status (the retrains' outcomes), the last retrain's seconds, the ratings written.
"""

import hmac
import os
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ratings.models import Rating
from recommender.models import ModelVersion

METRICS_FORBIDDEN = "The metrics are for staff, or for a scraper with the bearer token that METRICS_TOKEN sets."
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUEST_SECONDS = Histogram(
    "movierec_http_request_duration_seconds",
    "Time to answer a request, by route (the URL pattern's name), method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        # The pattern's name, never the path: one series per page, not one per movie id or mistyped address.
        route = (match.view_name or match.route) if match is not None else "unmatched"
        REQUEST_SECONDS.labels(route, request.method or "", f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
        return response


class SiteCollector(Collector):
    """What the database says at scrape time: the same from every process."""

    def collect(self) -> Iterator[Metric]:
        active = ModelVersion.objects.active().only("pk").first()
        yield GaugeMetricFamily(
            "movierec_active_model_version",
            "The id of the active model version; 0 when none is.",
            active.pk if active else 0,
        )
        by_status = GaugeMetricFamily(
            "movierec_model_versions", "Model versions kept, by status: the retrains' outcomes.", labels=["status"]
        )
        grouped = ModelVersion.objects.order_by().values("status").annotate(n=Count("pk"))
        counts = dict(grouped.values_list("status", "n"))
        for status in ModelVersion.Status:
            by_status.add_metric([status.value], counts.get(status.value, 0))
        yield by_status
        last = ModelVersion.objects.exclude(training_seconds=None).order_by("-created_at").first()
        yield GaugeMetricFamily(
            "movierec_retrain_last_seconds",
            "Training seconds of the latest version that trained.",
            last.training_seconds if last is not None and last.training_seconds is not None else 0.0,
        )
        yield GaugeMetricFamily("movierec_ratings", "Ratings in the database.", Rating.objects.count())


def _allowed(request: HttpRequest) -> bool:
    if request.user.is_authenticated and request.user.is_staff:
        return True
    token = settings.METRICS_TOKEN
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return bool(token) and hmac.compare_digest(offered.encode(), token.encode())


def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse(METRICS_FORBIDDEN, status=403, content_type="text/plain; charset=utf-8")
    processes = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    site = CollectorRegistry()
    site.register(SiteCollector())
    return HttpResponse(generate_latest(processes) + generate_latest(site), content_type=CONTENT_TYPE)
