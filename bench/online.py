"""Simulated people on the real site (issue 19): does what the site records and judges match what they did, and does
interleaving pick the truly better of two versions?

Runs on a copy of the prepared site (bench/prepared_site.py: MovieLens 100k and the shipped version A, trained on
every rating by the site's retrain) under gunicorn as the Procfile starts it (bench/load.py's "after": threaded
workers, one BLAS thread each), with a Redis of its own. A second version B is registered beside A as a ready
candidate: A's models with other list weights (``--candidate``, ``ListParams``); the default, "ranking-only", is
the site's list before issue 13 (the ranking model alone, folded in: 0.79x the most-rated list's NDCG@10 for new
users in bench/taste.py, against the shipped list's 1.21x).

The people's true taste is A's rating model (fitted on all of ml-100k): a person is one of its user rows, with
their own attention (Beta(0.8, 1.2), mean 0.4), and clicks and rates by the position-based model of
``recsys.simulated_users`` (bench/online_people.py: each signs up on the web, rates 10 of the onboarding list's
20 movies by taste, then sees ``--visits`` lists of 10 from GET /api/me/recommendations, opening a clicked movie's
page from the list and rating it through the API with the list's id).

1. Offline, before the site starts: the two lists' NDCG@10 and recall@10 for new users placed from their first 10
   ratings (bench/online_offline.py: the project's new-user protocol on 150 held-out MovieLens users), which names
   the offline-better version.
2. Each version alone: B made active through the staff API, ``--people-alone`` people; then A again, as many.
   For each, what the simulator did (lists shown; lists with a movie of the first 10 opened, rated, rated 4 or more;
   distinct movies shown) beside what GET /api/models/{id}/online (the Model page's figures, for staff) reports,
   and the difference (goal: 0).
3. The comparison: A against B for every signed-in person (share 1), started through the staff API (POST
   /api/comparisons, as an operator's client); people come in batches of ``--batch`` until the site's result (GET
   /api/comparisons/{id}: the comparison page's figures) has a verdict other than "continue" on openings and on
   likes, or ``--max-people`` came; then it is stopped (POST /api/comparisons/{id}/stop). Reported per signal: the
   users until the verdict by the site's result (read after each batch) and by the test replayed person by person
   on what the simulator did (each movie's team read from the site's recorded list), both counts of users
   preferring A, B or neither, and whether the verdict names the offline-better version.
4. The true rating of each version's top 10 for all these people (the simulation's truth), and the baseline: the
   people until a verdict on ``--resamples`` streams drawn with replacement from those measured, for interleaving
   (the comparison's people) and for an A/B split (pairs of one person of A alone and one of B alone), as a ratio.

    .venv/bin/python bench/online.py [--people-alone 60] [--visits 5] [--max-people 600] [--candidate ranking-only]
"""

import argparse
import json
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import requests
from common import BLAS_VARIABLES, SEED, free_port, gunicorn_start, private_redis, processes_stop, quantile
from load import SERVERS
from movielens import movielens_100k
from online_offline import (
    SIGNALS,
    TEST,
    interleaving_sequence,
    offline_ranking,
    resampled_stops,
    split_sequence,
    split_share,
    true_quality,
)
from online_people import FIRST_RATINGS, LIST_LENGTH, Person, SiteError, person_drive, simulator_counts
from prepared_site import manage, prepare, server_env, users_sign_in
from taste_lists import FittedSite
from taste_people import Person as ListPerson
from threadpoolctl import threadpool_limits

from recsys.comparison import Verdict, comparison_stop
from recsys.interleaving import user_tallies
from recsys.rating_model import FactorModel
from recsys.simulated_users import ClickParams

# B's list weights, over A's (recsys.params.ListParams).
CANDIDATES = {
    "ranking-only": {"prior": 0.0, "neighbours": 0.0, "genres": 0.0},
    "prior-only": {"neighbours": 0.0, "genres": 0.0, "ranking": 0.0},
    "no-genres": {"genres": 0.0},
}
ATTENTION = (0.8, 1.2)
RESAMPLED_MAX = 100_000  # people in a resampled stream, at most
ACTIVE_CHECK_S = 2.0  # RECOMMENDER_ACTIVE_CHECK_SECONDS: how often a web worker looks for a new active version

# Run by ``manage.py shell``: B, a ready version of A's models with other list weights, through the model store.
CANDIDATE_REGISTER = """
import json, os, shutil, tempfile
from pathlib import Path
from django.utils import timezone
from recommender.models import ModelVersion
from recommender.services.artifact_cache import artifact_fetch
from recommender.services.artifact_store import artifact_upload
from recommender.services.artifacts import artifact_path, file_sha256
from recsys.rating_model import SERVING_META, SIGNALS_META
overrides = json.loads(os.environ["BENCH_LIST_PARAMS"])
a = ModelVersion.objects.active().get()
b = ModelVersion.objects.create(
    algorithm=a.algorithm, hyperparameters=a.hyperparameters, status=ModelVersion.Status.TRAINING,
    n_ratings=a.n_ratings, n_users=a.n_users, n_movies=a.n_movies, ratings_fingerprint=a.ratings_fingerprint,
    metrics={name: a.metrics[name] for name in ("rmse", "mae") if name in a.metrics}, epoch_losses=a.epoch_losses,
    training_seconds=0.0,
)
folder = Path(tempfile.mkdtemp()) / "artifact"
shutil.copytree(artifact_path(version=a), folder)
meta = json.loads((folder / SERVING_META).read_text())
meta[SIGNALS_META]["params"].update(overrides)
(folder / SERVING_META).write_text(json.dumps(meta, indent=2, sort_keys=True))
b.artifact_dir = f"v{b.pk}-bench-online"
b.artifact_sha256 = {path.name: file_sha256(path) for path in folder.iterdir()}
b.save()
artifact_upload(version=b, directory=folder)
artifact_fetch(version=b)
b.status, b.finished_at = ModelVersion.Status.READY, timezone.now()
b.save()
folders = {"a_dir": str(artifact_path(version=a)), "b_dir": str(artifact_path(version=b))}
print(json.dumps({"a": a.pk, "b": b.pk, **folders}))
"""


@dataclass
class Site:
    base: str
    env: dict[str, str]
    db: Path
    staff_token: str
    a: int
    b: int


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people-alone", type=int, default=60, help="people who see one version's list, per version")
    parser.add_argument("--visits", type=int, default=5, help="lists each person sees")
    parser.add_argument("--max-people", type=int, default=600, help="the comparison's people, at most")
    parser.add_argument("--batch", type=int, default=40, help="people between two looks at the site's verdict")
    parser.add_argument("--concurrency", type=int, default=6, help="people on the site at once")
    parser.add_argument("--candidate", choices=CANDIDATES, default="ranking-only")
    parser.add_argument("--resamples", type=int, default=200, help="resampled streams per design")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--fresh", action="store_true", help="import and train again instead of reusing var/bench/")
    parser.add_argument("--keep", action="store_true", help="keep the temporary site and its logs")
    args = parser.parse_args()

    threadpool_limits(1)  # as the web workers: the bench shares the 2 cores with them
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="movierec-online-"))
    try:
        with private_redis() as redis_url:
            return run(args, workdir, redis_url, started)
    finally:
        if args.keep:
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path, redis_url: str, started: float) -> int:
    prepare(workdir, redis_url, fresh=args.fresh)
    env = {k: v for k, v in server_env(workdir, redis_url).items() if k not in BLAS_VARIABLES}
    staff_token = users_sign_in(env, count=0, first_ratings=0, seed=args.seed)["staff_token"]
    overrides = CANDIDATES[args.candidate]
    registered = shell_json(env, CANDIDATE_REGISTER, BENCH_LIST_PARAMS=json.dumps(overrides))
    taste = FactorModel.load(Path(registered["a_dir"]))
    sites = {"A": FittedSite(model=taste), "B": FittedSite(model=FactorModel.load(Path(registered["b_dir"])))}
    params = {"A": taste.list_params, "B": sites["B"].model.list_params}
    print(f"A: v{registered['a']}, the shipped list {asdict(params['A'])}")
    print(f"B: v{registered['b']}, {args.candidate}: A's models with {overrides}")

    offline = offline_ranking(movielens=movielens_100k(), lists=params, given=FIRST_RATINGS, seed=args.seed)
    print(f"\nOffline, new users placed from their first {FIRST_RATINGS} ratings (150 held-out MovieLens users):")
    for name, figures in offline.items():
        print(f"  {name}: " + ", ".join(f"{metric} {value:.3f}" for metric, value in figures.items()))
    better = "A" if offline["A"]["ndcg@10"] >= offline["B"]["ndcg@10"] else "B"
    print(f"  offline-better: {better} (by NDCG@10)", flush=True)

    port = free_port()
    server = SERVERS["after"]
    web = gunicorn_start(env={**env, **server.web_env}, port=port, log=workdir / "gunicorn.log",
                         options=["--config", str(server.config)])  # fmt: skip
    site = Site(f"http://127.0.0.1:{port}", env, workdir / "db.sqlite3", staff_token, registered["a"], registered["b"])
    crowd = Crowd(site=site, taste=taste, params=ClickParams(), args=args)
    alone: dict[str, list[Person]] = {}
    try:
        for name, version in (("B", site.b), ("A", site.a)):  # A last: it is active when the comparison starts
            version_activate(site, version)
            alone[name] = crowd.come(args.people_alone)
            metrics_check(site=site, people=alone[name], version=version, name=name)
        comparison = staff_api(site, "POST", "/api/comparisons", json={"candidate": site.b, "share": 1.0})["id"]
        together, users = compare(site=site, crowd=crowd, comparison=comparison, args=args, better=better)
    finally:
        processes_stop([web])
        problems = [line for line in (workdir / "gunicorn.log").read_text().splitlines() if "Traceback" in line]
        print(f"\ngunicorn.log: {len(problems)} tracebacks; people who met an error: {len(crowd.errors)} "
              f"{crowd.errors[:3] or ''}")  # fmt: skip
    everyone = [*alone["A"], *alone["B"], *together]
    quality = true_quality(taste=taste, sites=sites, people=[(p.row, list_person(p)) for p in everyone])
    print(f"\nTrue rating of each version's top 10 for the {len(everyone)} people, from their onboarding ratings: "
          + ", ".join(f"{name} {value:.3f}" for name, value in quality.items()))  # fmt: skip
    baseline(args=args, alone=alone, preferences=replayed_preferences(site, together, comparison), site_users=users)
    load = os.getloadavg()[0]
    print(f"\n{time.perf_counter() - started:.0f} s in all; load average {load:.1f} ({os.cpu_count()} CPUs)")
    return 0


def version_activate(site: Site, version: int) -> None:
    """``version`` made active through the staff API, and served by both web workers (each checks every 2 s)."""
    staff_api(site, "POST", f"/api/models/{version}/activate")
    time.sleep(2 * ACTIVE_CHECK_S)


def shell_json(env: dict[str, str], code: str, **variables: str) -> dict:
    """``code`` run by ``manage.py shell`` in the site's environment; the JSON of its last line."""
    import subprocess

    try:
        printed = manage({**env, **variables}, "shell", "-c", code, capture=True)
    except subprocess.CalledProcessError as error:
        raise SystemExit(error.stderr.strip().splitlines()[-1] if error.stderr else str(error)) from None
    return json.loads(printed.strip().splitlines()[-1])


def list_person(person: Person) -> ListPerson:
    """A simulated person's onboarding ratings (before any list), as the site held them, for the numpy lists."""
    first = list(person.rated.items())[:FIRST_RATINGS]
    movies = np.array([movie for movie, _ in first], dtype=np.int64)
    return ListPerson(movies=movies, scores=np.array([score for _, score in first]),
                      times=np.full(len(movies), 1_700_000_000, dtype=np.int64))  # fmt: skip


class Crowd:
    """People drawn one after the other (a row of the taste, an attention), driven ``concurrency`` at a time."""

    def __init__(self, *, site: Site, taste: FactorModel, params: ClickParams, args: argparse.Namespace) -> None:
        self.site, self.taste, self.params, self.args = site, taste, params, args
        self.rng = np.random.default_rng(args.seed)
        self.count = 0
        self.offered: list[int] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.run_id = uuid.uuid4().hex[:6]

    def come(self, n: int) -> list[Person]:
        people = []
        for _ in range(n):
            row, looks = int(self.rng.integers(len(self.taste.user_ids))), float(self.rng.beta(*ATTENTION))
            people.append(Person(self.count, row, looks, np.random.default_rng([self.args.seed, self.count])))
            self.count += 1
        with ThreadPoolExecutor(max_workers=self.args.concurrency) as pool:
            done = list(pool.map(self._drive, people))
        found = [person for person in done if person is not None]
        self.offered = self.offered or next((p.offered for p in found), [])
        return found

    def _drive(self, person: Person) -> Person | None:
        try:
            person_drive(base=self.site.base, taste=self.taste, params=self.params, person=person,
                         username=f"sim{self.run_id}p{person.number}", visits=self.args.visits)  # fmt: skip
        except (SiteError, OSError, KeyError, ValueError) as error:
            with self.lock:
                self.errors.append(f"{type(error).__name__}: {error}")
            return None
        return person


def staff_api(site: Site, method: str, path: str, **options: object) -> dict:
    """The staff API's answer to ``method path``, as the operator's client gets it."""
    headers = {"Authorization": f"Bearer {site.staff_token}"}
    response = requests.request(method, f"{site.base}{path}", headers=headers, timeout=60, **options)  # type: ignore[arg-type]
    if not response.ok:
        raise SystemExit(f"{method} {path}: HTTP {response.status_code} {response.text[:300]}")
    return response.json()


def online_counts(site: Site, version: int) -> dict:
    """The version's online metrics over every day kept, as the Model page shows them (GET /api/models/{id}/online)."""
    return staff_api(site, "GET", f"/api/models/{version}/online")["total"]


def metrics_check(*, site: Site, people: list[Person], version: int, name: str) -> None:
    """What the simulator did with the version's lists beside what the site's online metrics report for it."""
    done = simulator_counts(people, version)
    reported = online_counts(site, version)
    print(f"\n{name} (v{version}) active: {len(people)} people, each {FIRST_RATINGS} onboarding ratings and "
          f"{site_visits(people)} lists")  # fmt: skip
    print(f"  {'count':10} {'simulator':>10} {'site (API)':>11} {'difference':>10}")
    for name, value in done.items():
        print(f"  {name:10} {value:>10} {reported[name]:>11} {reported[name] - value:>10}")
    lists = done["lists"] or 1
    print(f"  click-through at 10 {done['opened'] / lists:.1%} (site {reported['click_through'] or 0:.1%}); "
          f"liked at 10 {done['liked'] / lists:.1%} (site {reported['liked_share'] or 0:.1%})")  # fmt: skip


def interleaved_teams(site: Site, comparison: int) -> dict[tuple[str, int], int]:
    """{(list id hex, movie): its version} of the comparison's recorded lists, read from the site's database."""
    connection = sqlite3.connect(site.db)
    rows = connection.execute(
        "SELECT shown_id, movie_id, model_version_id FROM feedback_impression WHERE comparison_id = ?", (comparison,)
    ).fetchall()
    connection.close()
    return {(uuid.UUID(str(shown)).hex, int(movie)): int(version) for shown, movie, version in rows}


def replayed_preferences(site: Site, people: list[Person], comparison: int) -> dict[str, np.ndarray]:
    """Each person's preference (+1 A, -1 B, 0 tied; in the order they came) by what the simulator did from each
    interleaved list, credited to the team the site recorded for each movie."""
    teams = interleaved_teams(site, comparison)
    found: dict[str, list[int]] = {signal: [] for signal in SIGNALS}
    for person in people:
        credit: dict[str, tuple[list[int], list[int]]] = {signal: ([], []) for signal in SIGNALS}
        for shown in person.seen:
            key = uuid.UUID(shown.shown_list).hex
            team = [teams.get((key, movie)) for movie in shown.movies]
            hits = {
                "clicks": [p for p in shown.opened if p <= LIST_LENGTH],
                "likes": [p for p, score in shown.scores.items() if p <= LIST_LENGTH and score >= 4.0],
            }
            for signal in SIGNALS:
                credit[signal][0].append(sum(team[p - 1] == site.a for p in hits[signal]))
                credit[signal][1].append(sum(team[p - 1] == site.b for p in hits[signal]))
        for signal in SIGNALS:
            a, b = credit[signal]
            tally = user_tallies(user_ids=np.zeros(len(a), np.int64), credit_a=np.array(a), credit_b=np.array(b))
            found[signal].append(int(tally.preferences()[0]) if len(a) else 0)
    return {signal: np.array(values, dtype=np.int8) for signal, values in found.items()}


def comparison_read(site: Site, comparison: int) -> dict:
    """The comparison so far as the staff API says it (the Model page's figures): people, and per signal."""
    found = staff_api(site, "GET", f"/api/comparisons/{comparison}")
    return {"people": found["people"], "status": found["status"], "clicks": found["openings"], "likes": found["likes"]}


def compare(
    *, site: Site, crowd: Crowd, comparison: int, args: argparse.Namespace, better: str
) -> tuple[list[Person], dict[str, int]]:
    """People in batches until the site's comparison has a verdict on clicks and on likes, or ``max_people``;
    the people, and the users until each verdict by the replay."""
    print(f"\nComparison {comparison}: A (v{site.a}) against B (v{site.b}), interleaved for everyone signed in")
    before = online_counts(site, site.a)["lists"]
    time.sleep(2 * ACTIVE_CHECK_S)  # each web worker looks for a running comparison as for the active version
    people: list[Person] = []
    first_verdict: dict[str, tuple[int, str]] = {}
    result: dict = {}
    began = time.perf_counter()
    while len(people) < args.max_people and len(first_verdict) < len(SIGNALS):
        people += crowd.come(min(args.batch, args.max_people - len(people)))
        result = comparison_read(site, comparison)
        for signal in SIGNALS:
            if signal not in first_verdict and result[signal]["verdict"] != Verdict.CONTINUE:
                first_verdict[signal] = (result["people"], result[signal]["verdict"])
        said = "; ".join(f"{s} {result[s]['prefer_active']}:{result[s]['prefer_candidate']} {result[s]['verdict']}"
                         for s in SIGNALS)  # fmt: skip
        print(f"  {len(people)} people ({time.perf_counter() - began:.0f} s): site users {result['people']}; {said}",
              flush=True)  # fmt: skip
    replayed = replayed_preferences(site, people, comparison)
    winner_of = {Verdict.A_WINS: "A", Verdict.B_WINS: "B"}
    users = {}
    print(f"\n  {'signal':7} {'site: users to verdict':>23} {'verdict':>14} {'replayed: users':>16} {'verdict':>14} "
          f"{'site A:B:tied':>14} {'replayed A:B:tied':>18} {'offline-better':>15}")  # fmt: skip
    for signal in SIGNALS:
        stop = comparison_stop(preferences=replayed[signal], params=TEST)
        total = replayed[signal]
        counts = f"{(total > 0).sum()}:{(total < 0).sum()}:{(total == 0).sum()}"
        site_counts = (f"{result[signal]['prefer_active']}:{result[signal]['prefer_candidate']}:"
                       f"{result[signal]['neither']}")  # fmt: skip
        site_users, site_verdict = first_verdict.get(signal, (result["people"], "continue"))
        picked = winner_of.get(Verdict(site_verdict))
        agrees = "yes" if picked == better else ("no verdict" if picked is None else "NO")
        users[signal] = stop.users if stop.verdict != Verdict.CONTINUE else len(people)
        print(f"  {signal:7} {site_users:>23} {site_verdict:>14} {stop.users:>16} {stop.verdict:>14} "
              f"{site_counts:>14} {counts:>18} {better + ': ' + agrees:>15}")  # fmt: skip
    print(f"  the site's users are counted after each batch of {args.batch}; the replay looks after every person")
    after = online_counts(site, site.a)["lists"]
    plain = f"; {after - before} of A's own, served while a web worker read B's model" if after > before else ""
    print(f"  A's online metrics: {before} lists before the comparison, {after} after (the interleaved lists are "
          f"left out{plain})")  # fmt: skip
    ended = staff_api(site, "POST", f"/api/comparisons/{comparison}/stop")
    print(f"  stopped through the staff API: {ended['status']}, {ended['ended_note'][:150]!r}")
    return people, users


def baseline(
    *,
    args: argparse.Namespace,
    alone: dict[str, list[Person]],
    preferences: dict[str, np.ndarray],
    site_users: dict[str, int],
) -> None:
    """Users until a verdict on streams resampled from the people measured: interleaving's from the comparison's
    people, an A/B split's from pairs of one who saw A's list alone and one who saw B's."""
    print(f"\nPeople until a verdict, {args.resamples} streams resampled from those measured (median, 90th "
          "percentile; the share of untied people, or pairs, preferring A)")  # fmt: skip
    for signal in SIGNALS:
        hits = {name: np.array([person_hits(p)[signal] for p in people]) for name, people in alone.items()}
        designs = {
            "interleaving": (interleaving_sequence(preferences[signal]), 1),
            "A/B": (split_sequence(hits["A"], hits["B"]), 2),
        }
        prefs = preferences[signal]
        measured = {
            "interleaving": (float((prefs > 0).sum() / max((prefs != 0).sum(), 1)), float((prefs == 0).mean())),
            "A/B": split_share(hits["A"], hits["B"]),
        }
        medians = {}
        for design, (sequence, users_each) in designs.items():
            stops = resampled_stops(sequence=sequence, users_each=users_each, runs=args.resamples,
                                    length=RESAMPLED_MAX // users_each, seed=args.seed)  # fmt: skip
            users = [stop.users for stop in stops]
            medians[design] = quantile(users, 0.5)
            share, tied = measured[design]
            wrong = sum(stop.verdict != Verdict.A_WINS for stop in stops)
            print(f"  {signal:7} {design:13} {medians[design]:>6.0f} ({quantile(users, 0.9):.0f})  share {share:.2f}"
                  f"  tied {tied:.0%}  not 'A wins': {wrong}")  # fmt: skip
        print(f"  {signal:7} A/B / interleaving: {medians['A/B'] / medians['interleaving']:.2f}x; "
              f"the site's stream itself: {site_users.get(signal, 'n/a')}")  # fmt: skip


def person_hits(person: Person) -> dict[str, int]:
    """Movies of the first 10 positions that the person opened, and liked, from all their lists."""
    return {
        "clicks": sum(p <= LIST_LENGTH for shown in person.seen for p in shown.opened),
        "likes": sum(p <= LIST_LENGTH and score >= 4.0 for shown in person.seen for p, score in shown.scores.items()),
    }


def site_visits(people: list[Person]) -> int:
    return sum(len(person.seen) for person in people)


if __name__ == "__main__":
    raise SystemExit(main())
