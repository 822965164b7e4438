"""My ratings: every rating of the signed-in user, sorted, filtered by genre and paged, each editable in place with
the star widget; and the export of their data (ratings, watchlist, hidden movies) as CSV or JSON."""

import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from ratings.export import export_csv, user_data_export
from ratings.forms import MyRatingsFilterForm
from ratings.requests import SignedInHttpRequest
from ratings.selectors import user_rating_count, user_rating_list

MY_RATINGS_PER_PAGE = 50
RESULTS_TARGET = "my-ratings-results"
EXPORT_CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@require_safe
@login_required
def my_ratings_view(request: SignedInHttpRequest) -> HttpResponse:
    form = MyRatingsFilterForm(request.GET or None)
    ratings = user_rating_list(user=request.user, **form.filters())
    page = Paginator(ratings, MY_RATINGS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "total": user_rating_count(user=request.user),
        "query_string": query.urlencode(),
        "next_url": request.get_full_path(),
    }
    if request.htmx and request.htmx.target == RESULTS_TARGET:
        return render(request, "ratings/_my_ratings_results.html", context)
    return render(request, "ratings/my_ratings.html", context)


def _export(request: SignedInHttpRequest, fmt: str) -> HttpResponse:
    data = user_data_export(user=request.user)
    body = export_csv(data) if fmt == "csv" else json.dumps(data, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type=EXPORT_CONTENT_TYPES[fmt])
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="movierec-{request.user.pk}-{stamp}.{fmt}"'
    return response


@require_safe
@login_required
def export_csv_view(request: SignedInHttpRequest) -> HttpResponse:
    return _export(request, "csv")


@require_safe
@login_required
def export_json_view(request: SignedInHttpRequest) -> HttpResponse:
    return _export(request, "json")
