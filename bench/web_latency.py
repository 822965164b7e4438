"""Server time of the site's pages with MovieLens 100k and a trained model, and the web process's memory.

This process is the web process: it loads Django with production settings on a copy of the prepared site
(bench/prepared_site.py: SQLite with ml-100k and an active dot model) and answers requests through Django's
test client, in process, so the times are the server's own (no network, no queueing). The pages are asked in
turn, round after round, so that a noisy neighbour on the machine slows them all alike:

- baseline: the login page (a template and a CSRF token, no query beyond the session);
- recommendations (the signed-in home) for a MovieLens rater the model knows, for a new user placed by fold-in
  from their 10 ratings on every request, and for an anonymous visitor (the popularity list);
- a movie's page, signed in (prediction, distribution, "more like this");
- the catalogue: list pages in each ordering, title searches, and a deep page (the second half of the catalogue);
- staff: the admin's ratings list and the Model pages (history and data);
- ``GET /api/me/recommendations`` for the MovieLens rater and the new user;
- then, outside any request, placing a newcomer from ratings of 10 popular movies in both models (fold-in).

Prints p50/p95/p99 per page (quantiles as bench/common.py defines them) and the ratio of each p95 to the
baseline's, then the resident memory (RSS) of this process, and checks that it never imported torch.

    .venv/bin/python bench/web_latency.py [--rounds 300] [--fresh]

Goals (issue 4): recommendations page p95 <= 50 ms; web process RSS <= 300 MB.
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from common import SEARCH_WORDS, django_start, private_redis, quantile, rss_mb
from prepared_site import prepare, server_env
from threadpoolctl import threadpool_limits

GOAL_P95_MS = 50.0
GOAL_RSS_MB = 300.0
BASELINE = "baseline: login page"
PLACEMENT = "placing a new user (10 ratings)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=300, help="requests per page")
    parser.add_argument("--warmup", type=int, default=10, help="rounds not counted (model load, caches)")
    parser.add_argument("--fresh", action="store_true", help="import and train again instead of reusing var/bench/")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--site", type=Path, help="a site folder to measure as it is (bench/scale.py's), not a copy")
    parser.add_argument("--database-url", help="with --site: its database, when not the folder's db.sqlite3")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    # One BLAS thread, as the Procfile's web server has (movierec_site/gunicorn.conf.py): a pool of them made a
    # recommendations request 10 to 20 times slower here whenever the machine's two cores were busy.
    threadpool_limits(limits=1)

    with tempfile.TemporaryDirectory(prefix="movierec-web-latency-") as folder, private_redis() as redis_url:
        workdir = args.site or Path(folder)
        if args.site is None:
            prepare(workdir, redis_url, fresh=args.fresh)
        django_start(server_env(workdir, redis_url, database_url=args.database_url))
        return run(args)


def run(args: argparse.Namespace) -> int:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from ratings.models import Movie, Profile
    from ratings.selectors import ORDERINGS
    from ratings.services.ratings import rating_set

    rng = random.Random(args.seed)
    orderings = list(ORDERINGS)
    rater = Profile.objects.filter(movielens_id=1).select_related("user").get().user
    popular = list(Movie.objects.order_by("-rating_count").values_list("pk", flat=True)[:300])
    newcomer, _ = get_user_model().objects.get_or_create(username="bench-newcomer")
    for pk in popular[:10]:
        rating_set(user=newcomer, movie=Movie.objects.get(pk=pk), score=rng.choice([2.0, 3.0, 4.0, 4.5, 5.0]))

    def signed_in(user: object) -> Client:
        client = Client()
        client.force_login(user)
        return client

    staff, _ = get_user_model().objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
    staff.is_superuser = True
    staff.save()
    last_page = max(1, Movie.objects.count() // 24)
    anonymous, as_rater, as_newcomer, as_staff = Client(), signed_in(rater), signed_in(newcomer), signed_in(staff)
    pages = {
        BASELINE: lambda: anonymous.get("/accounts/login/"),
        "recommendations: model user": lambda: as_rater.get("/", {"page": rng.randint(1, 3)}),
        "recommendations: new user (fold-in)": lambda: as_newcomer.get("/"),
        "recommendations: anonymous": lambda: anonymous.get("/"),
        "recommendations API: model user": lambda: as_rater.get("/api/me/recommendations"),
        "recommendations API: new user": lambda: as_newcomer.get("/api/me/recommendations"),
        "movie page (signed in)": lambda: as_rater.get(f"/movies/{rng.choice(popular)}/"),
        "catalogue: list": lambda: anonymous.get(
            "/movies/", {"order": rng.choice(orderings), "page": rng.randint(1, 10)}
        ),
        "catalogue: search": lambda: anonymous.get("/movies/", {"q": rng.choice(SEARCH_WORDS)}),
        "catalogue: deep page": lambda: anonymous.get("/movies/", {"page": rng.randint(last_page // 2, last_page)}),
        "admin: ratings list": lambda: as_staff.get("/admin/ratings/rating/", {"p": rng.randint(1, 50)}),
        "staff: Model pages": lambda: as_staff.get(rng.choice(["/insights/", "/insights/data/"])),
    }
    times: dict[str, list[float]] = {name: [] for name in pages}
    for round_number in range(args.warmup + args.rounds):
        for name, request in pages.items():
            started = time.perf_counter()
            response = request()
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{name}: HTTP {response.status_code}")
            if round_number >= args.warmup:
                times[name].append(elapsed * 1000)
    times[PLACEMENT] = placement_times(movie_ids=popular[:10], rounds=args.warmup + args.rounds, warmup=args.warmup)
    return report(times, output=args.json)


def placement_times(*, movie_ids: list[int], rounds: int, warmup: int) -> list[float]:
    """Placing a newcomer from ratings of ``movie_ids`` in both models, as a list request does (milliseconds):
    fold-in's solve and the ranking model's place, with random half-star scores each time."""
    import numpy as np

    from recommender.services.onboarding import cold_start_method
    from recommender.services.serving import served_model
    from recsys.lists import user_taste

    served = served_model()
    if served is None:
        raise SystemExit("no active model to place a newcomer in")
    model = served.model
    rows = np.array([model.movie_index(movie_id) for movie_id in movie_ids if model.has_movie(movie_id)])
    rng = np.random.default_rng(0)
    times = []
    for round_number in range(rounds):
        scores = rng.choice(np.arange(1, 11) / 2, size=len(rows))
        started = time.perf_counter()
        user_taste(
            model=model,
            movie_rows=rows,
            scores=scores,
            times=np.full(len(rows), time.time()),
            method=cold_start_method(model=model),
        )
        if round_number >= warmup:
            times.append((time.perf_counter() - started) * 1000)
    return times


def report(times: dict[str, list[float]], *, output: Path | None = None) -> int:
    base_p95 = quantile(times[BASELINE], 0.95)
    print(f"\nServer time per page, in process, {len(times[BASELINE])} requests each (ms)")
    print(f"  {'page':38} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  {'p95 / baseline':>14}")
    for name, values in times.items():
        p95 = quantile(values, 0.95)
        print(
            f"  {name:38} {quantile(values, 0.5):>7.2f} {p95:>7.2f} {quantile(values, 0.99):>7.2f} "
            f"{max(values):>7.2f}  {p95 / base_p95:>13.1f}x"
        )
    rss, peak = rss_mb(os.getpid())
    worst = max(quantile(v, 0.95) for name, v in times.items() if name.startswith("recommendations"))
    print(f"\nWeb process memory: RSS {rss:.0f} MiB (peak {peak:.0f} MiB); torch imported: {'torch' in sys.modules}")
    print(f"Goal: recommendations p95 <= {GOAL_P95_MS:.0f} ms: worst {worst:.2f} ms -> {_met(worst <= GOAL_P95_MS)}")
    print(f"Goal: web process RSS <= {GOAL_RSS_MB:.0f} MB: {rss:.0f} MiB -> {_met(rss <= GOAL_RSS_MB)}")
    if output is not None:
        figures = {name: {"p50": quantile(v, 0.5), "p95": quantile(v, 0.95)} for name, v in times.items()}
        output.write_text(json.dumps({"pages": figures, "rss_mb": rss, "torch": "torch" in sys.modules}))
    return 0 if worst <= GOAL_P95_MS and rss <= GOAL_RSS_MB and "torch" not in sys.modules else 1


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    raise SystemExit(main())
