"""The page cost of recording what people are shown (issue 19), and the online metrics' queries over many events.

This process is the web process, as in bench/web_latency.py: production settings on a copy of the prepared site
(bench/prepared_site.py: ml-100k and an active model; SQLite, or a PostgreSQL database of this bench's own with
--database-url), Django's test client in process, so the times are the server's own. Each round asks every page
twice, with the recording and without it (the same views, the recording services swapped for ones that write
nothing), in alternating order, so that both see the same machine:

- the recommendations page of a MovieLens rater the model knows, and of a new user placed by fold-in: one INSERT of
  the 20 movies shown;
- a movie's page opened from such a list: the "opened" follow-up (one indexed read, one INSERT) and its "more like
  this" list (one INSERT).

Prints p50 and p95 of each, with and without (wall time, and the CPU time of the request's thread), the p95
difference in ms and the ratio of the p95s, and the time each request spent in the recording itself (the
recording services timed inside the page: on a busy machine two pages' p95s differ by more than 2 ms either way,
from the neighbours alone). Then, with --lists N, it writes N synthetic lists of 20 movies of the active version
over 30 days (with follow-ups on 30% of them) straight into the tables, and times the online metrics of the
version (feedback.metrics: the version page's queries) and the totals of every version (the history page's) at
N/10 lists and at N, counted from the events alone and from the daily rollup (feedback.rollup, its run timed too),
with the ratios.

    .venv/bin/python bench/feedback_logging.py [--rounds 400] [--lists 100000] [--database-url postgres://...]

Goal (issue 19): each page at most 2 ms slower at p95 with the recording.
"""

import argparse
import datetime as dt
import random
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import django_start, private_redis, quantile
from prepared_site import manage, prepare, server_env
from threadpoolctl import threadpool_limits

GOAL_MS = 2.0
LIST_LENGTH = 20
DAYS = 30


def postgres_prepare(workdir: Path, redis_url: str, server: str) -> dict[str, str]:
    """A database of this bench's own on ``server`` (dropped and made again), with ml-100k and a model trained
    into ``workdir``: the model folder of the other PostgreSQL benches is left alone."""
    name = "movierec_bench_feedback"
    admin = urlunsplit(urlsplit(server)._replace(path="/postgres"))
    for statement in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", admin, "-q", "-c", statement], check=True)
    env = server_env(workdir, redis_url, database_url=urlunsplit(urlsplit(server)._replace(path=f"/{name}")))
    env["MODEL_DIR"] = str(workdir / "models")
    print(f"Preparing {name}: migrate, import MovieLens 100k, train", flush=True)
    for command in (["migrate", "--verbosity", "0"], ["import_movielens"], ["train", "--force"]):
        manage(env, *command, capture=True)
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=400, help="requests per page and variant")
    parser.add_argument("--warmup", type=int, default=20, help="rounds not counted (model load, caches)")
    parser.add_argument("--lists", type=int, default=0, help="synthetic lists for the metrics' timing (0: none)")
    parser.add_argument("--database-url", help="a PostgreSQL server URL; its database movierec_bench_feedback is made")
    parser.add_argument("--fresh", action="store_true", help="import and train again instead of reusing var/bench/")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    threadpool_limits(limits=1)  # one BLAS thread, as the Procfile's web server has (bench/web_latency.py)
    with tempfile.TemporaryDirectory(prefix="movierec-feedback-") as folder, private_redis() as redis_url:
        workdir = Path(folder)
        if args.database_url:
            env = postgres_prepare(workdir, redis_url, args.database_url)
        else:
            prepare(workdir, redis_url, fresh=args.fresh)
            env = server_env(workdir, redis_url)
        django_start(env)
        from django.db import connection

        print(f"\nDatabase: {connection.vendor}; {args.rounds} rounds after {args.warmup} of warm-up")
        pages(args)
        if args.lists:
            metrics(args)
    return 0


def _clients(seed: int) -> dict[str, object]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from ratings.models import Movie, Profile
    from ratings.services.ratings import rating_set

    rng = random.Random(seed)
    rater = Profile.objects.filter(movielens_id=1).select_related("user").get().user
    newcomer, _ = get_user_model().objects.get_or_create(username="bench-newcomer")
    for movie in Movie.objects.order_by("-rating_count")[:10]:
        rating_set(user=newcomer, movie=movie, score=rng.choice([2.0, 3.0, 4.0, 4.5, 5.0]))
    clients = {}
    for name, user in (("rater", rater), ("newcomer", newcomer)):
        client = Client()
        client.force_login(user)
        clients[name] = client
    return {"clients": clients, "rater": rater}


def pages(args: argparse.Namespace) -> None:
    import recommender.views
    from feedback.models import Impression

    made = _clients(args.seed)
    clients, rater = made["clients"], made["rater"]
    real = {name: getattr(recommender.views, name) for name in ("shown_list_record", "follow_up_record")}
    # What the views call instead when the recording is off: no list, and no follow-up.
    off = {"shown_list_record": lambda **_: None, "follow_up_record": lambda **_: False}
    # When it is on, the same functions, timed: the time a request spends recording is what the page pays.
    inside: list[float] = []

    def timed(function: Callable[..., object]) -> Callable[..., object]:
        def measured(**kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return function(**kwargs)
            finally:
                inside[-1] += time.perf_counter() - started

        return measured

    on_ = {name: timed(function) for name, function in real.items()}
    opened: dict[str, str] = {}

    def movie_from_a_list() -> str:
        # A list just shown to the rater, and a movie of it: what a card's link opens (the movie differs each time).
        shown = Impression.objects.filter(user=rater).latest("shown_at", "pk")
        movie = random.Random(len(opened)).choice(list(Impression.objects.filter(shown_id=shown.shown_id)))
        opened["url"] = f"/movies/{movie.movie_id}/?shown_list={shown.shown_id}"
        return opened["url"]

    requests: dict[str, Callable[[], object]] = {
        "recommendations: model user": lambda: clients["rater"].get("/"),
        "recommendations: new user (fold-in)": lambda: clients["newcomer"].get("/"),
        "movie page opened from a list": lambda: clients["rater"].get(opened["url"]),
    }
    # Wall time, and this thread's CPU time (SQLite works in this thread; PostgreSQL's server is another process):
    # on a busy machine the wall time waits for a core too, the CPU time does not.
    times: dict[tuple[str, bool, str], list[float]] = {}
    for round_number in range(args.warmup + args.rounds):
        clients["rater"].get("/")  # untimed: a list to open a movie from, this round
        movie_from_a_list()
        for name, request in requests.items():
            for on in (True, False) if round_number % 2 else (False, True):
                for attribute, function in (on_ if on else off).items():
                    setattr(recommender.views, attribute, function)
                inside.append(0.0)
                started, cpu = time.perf_counter(), time.thread_time()
                response = request()
                elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu
                if response.status_code != 200:
                    raise SystemExit(f"{name}: HTTP {response.status_code}")
                if round_number >= args.warmup:
                    times.setdefault((name, on, "wall"), []).append(elapsed * 1000)
                    times.setdefault((name, on, "cpu"), []).append(cpu * 1000)
                    if on:
                        times.setdefault((name, on, "inside"), []).append(inside[-1] * 1000)
    for attribute, function in real.items():
        setattr(recommender.views, attribute, function)
    worst = 0.0
    for clock, title in (("wall", "wall time"), ("cpu", "CPU time of the request's thread")):
        print(f"\nServer time per page with the recording and without it, {title} (ms)")
        print(f"  {'page':38} {'p50 off':>8} {'p50 on':>8} {'p95 off':>8} {'p95 on':>8} {'p95 +':>7} {'ratio':>6}")
        for name in requests:
            on, off_ = times[(name, True, clock)], times[(name, False, clock)]
            p95_on, p95_off = quantile(on, 0.95), quantile(off_, 0.95)
            if clock == "wall":
                worst = max(worst, p95_on - p95_off)
            print(
                f"  {name:38} {quantile(off_, 0.5):>8.2f} {quantile(on, 0.5):>8.2f} {p95_off:>8.2f} {p95_on:>8.2f} "
                f"{p95_on - p95_off:>7.2f} {p95_on / p95_off:>5.2f}x"
            )
    print("\nTime each request spent recording, wall time (ms)")
    print(f"  {'page':38} {'p50':>8} {'p95':>8} {'p99':>8} {'p95 / page p95 off':>19}")
    recording = 0.0
    for name in requests:
        spent = times[(name, True, "inside")]
        recording = max(recording, quantile(spent, 0.95))
        share = quantile(spent, 0.95) / quantile(times[(name, False, "wall")], 0.95)
        print(
            f"  {name:38} {quantile(spent, 0.5):>8.2f} {quantile(spent, 0.95):>8.2f} {quantile(spent, 0.99):>8.2f} "
            f"{share:>18.1%}"
        )
    for what, figure in (("the pages' p95s apart", worst), ("the recording's own p95", recording)):
        met = "met" if figure <= GOAL_MS else "NOT met"
        print(f"Goal: at most {GOAL_MS:.0f} ms slower at p95, by {what}: worst {figure:+.2f} ms -> {met}")


def _synthesize(version_id: int, users: list[int], movies: list[int], count: int, seed: int) -> None:
    """``count`` lists of LIST_LENGTH movies over DAYS days, 30% of them followed by an open, half of those by a
    rating, some by a watchlist add or a hide: rows written in batches, as many lists shown would leave them."""
    from django.db import transaction
    from django.utils import timezone

    from feedback.models import Action, FollowUp, Impression, ListKind

    rng = random.Random(seed)
    today = timezone.now().date()
    batch_impressions: list[Impression] = []
    batch_follow_ups: list[FollowUp] = []

    def flush() -> None:
        with transaction.atomic():
            Impression.objects.bulk_create(batch_impressions, batch_size=5000)
            FollowUp.objects.bulk_create(batch_follow_ups, batch_size=5000)
        batch_impressions.clear()
        batch_follow_ups.clear()

    for _ in range(count):
        shown_id, user, day = uuid.uuid4(), rng.choice(users), today - dt.timedelta(days=rng.randrange(DAYS))
        at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        chosen = rng.sample(movies, LIST_LENGTH)
        common = {"shown_id": shown_id, "user_id": user, "model_version_id": version_id, "kind": ListKind.HOME}
        batch_impressions.extend(
            Impression(**common, movie_id=m, position=p + 1, shown_at=at, shown_on=day) for p, m in enumerate(chosen)
        )
        if rng.random() < 0.3:
            position = rng.randrange(LIST_LENGTH)
            actions = [(Action.OPENED, None)] + (
                [(Action.RATED, float(rng.randint(1, 5)))] if rng.random() < 0.5 else []
            )
            actions += [(rng.choice([Action.WATCHLISTED, Action.HIDDEN]), None)] if rng.random() < 0.2 else []
            batch_follow_ups.extend(
                FollowUp(**common, movie_id=chosen[position], position=position + 1, action=action, score=score,
                         at=at, shown_on=day)
                for action, score in actions
            )  # fmt: skip
        if len(batch_impressions) >= 50_000:
            flush()
    flush()


def _timed_metrics(version: object, versions: list[int]) -> dict[str, float]:
    """p50 of 7 of the version page's metrics and the history page's totals, in ms."""
    from feedback.metrics import online_metrics, online_totals

    queries = {
        "version page": lambda: online_metrics(version_id=version.pk, catalogue=version.n_movies),
        "history page": lambda: online_totals(version_ids=versions),
    }
    timings: dict[str, list[float]] = {name: [] for name in queries}
    for _ in range(7):
        for name, query in queries.items():
            started = time.perf_counter()
            query()
            timings[name].append((time.perf_counter() - started) * 1000)
    return {name: quantile(values, 0.5) for name, values in timings.items()}


def metrics(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from feedback.models import FollowUp, Impression, MovieShownDay, OnlineDay
    from feedback.rollup import online_days_roll_up
    from ratings.models import Movie
    from recommender.models import ModelVersion

    version = ModelVersion.objects.active().get()
    versions = list(ModelVersion.objects.values_list("pk", flat=True))
    users = list(get_user_model().objects.values_list("pk", flat=True)[:900])
    movies = list(Movie.objects.values_list("pk", flat=True))
    rows = []
    done = 0
    for target in (args.lists // 10, args.lists):
        started = time.perf_counter()
        _synthesize(version.pk, users, movies, target - done, args.seed + target)
        written = time.perf_counter() - started
        done = target
        OnlineDay.objects.all().delete()
        MovieShownDay.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        from_events = _timed_metrics(version, versions)
        started = time.perf_counter()
        online_days_roll_up()
        rolled = time.perf_counter() - started
        from_rollup = _timed_metrics(version, versions)
        counts = (target, Impression.objects.count(), FollowUp.objects.count(), written, rolled)
        rows.append((counts, from_events, from_rollup))
    print(f"\nOnline metrics over synthetic lists of {LIST_LENGTH} movies over {DAYS} days (p50 of 7, ms), counted")
    print("from the events alone, and from the daily rollup with the last days' events (as the hourly task leaves it)")
    names = list(rows[0][1])
    header = "  ".join(f"{name} ({where})" for where in ("events", "rollup") for name in names)
    print(f"  {'lists':>9} {'impressions':>12} {'follow-ups':>11} {'written s':>10} {'rollup s':>9}  {header}")
    for (lists, impressions, follow_ups, written, rolled), from_events, from_rollup in rows:
        widths = [len(f"{name} (events)") for name in names] + [len(f"{name} (rollup)") for name in names]
        values = [*from_events.values(), *from_rollup.values()]
        figures = "  ".join(f"{value:>{width}.1f}" for value, width in zip(values, widths, strict=True))
        print(f"  {lists:>9,} {impressions:>12,} {follow_ups:>11,} {written:>10.1f} {rolled:>9.1f}  {figures}")
    for where, index in (("events", 1), ("rollup", 2)):
        ratios = ", ".join(f"{name} {rows[1][index][name] / rows[0][index][name]:.1f}x" for name in names)
        print(f"  10x the lists, from the {where}: {ratios}")


if __name__ == "__main__":
    raise SystemExit(main())
