"""The serving artifact's size on disk and a web process's resident memory once it serves it (issue 17).

Each SITE is a folder laid out as bench/prepared_site.py lays out a site (``db.sqlite3`` and ``models/``, with an
active version trained there), given as ``LABEL=FOLDER``, or ``LABEL=FOLDER@CODE`` to measure it with the code of
another checkout (an earlier commit, say, for the figures before a change). For each, a fresh Python process (the
web process: production settings, no torch) starts Django, then loads the active version and asks the
recommendations of a model user and of a newcomer placed from their 10 ratings. Printed: the artifact's files
and bytes, the process's resident memory (RSS) after Django's start, after the load and after the two lists, the
load's own time, and each figure against the first site's.

    .venv/bin/python bench/artifact_memory.py before=/tmp/site@/tmp/earlier-checkout after=/tmp/site-new

Goal (issue 17): the artifact holds no training ratings where the cold start does not read them; web process RSS
with the ml-25m model at most 400 MB.
"""

import argparse
import json
import subprocess
from pathlib import Path

from common import PYTHON, ROOT, private_redis
from prepared_site import server_env

# Run in the site's code checkout, in a process of its own, so that every figure starts from a fresh interpreter.
MEASURE = """
import json, os, random, sys, time
from pathlib import Path
import django
django.setup()
from django.contrib.auth import get_user_model
from django.db.models import Count
from ratings.models import Movie, Rating
from ratings.services.ratings import rating_set
from recommender.models import ModelVersion
from recommender.services.recommendations import recommendations_for_user
from recommender.services.serving import served_model


def rss_mib():
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(status["VmRSS"].split()[0]) / 1024


figures = {"rss_django": rss_mib()}
started = time.perf_counter()
served = served_model()
figures["load_s"] = time.perf_counter() - started
figures["rss_loaded"] = rss_mib()
version = ModelVersion.objects.active().get()
folder = Path(os.environ["MODEL_DIR"]) / version.artifact_dir
figures["files"] = {name: (folder / name).stat().st_size for name in sorted(version.artifact_sha256)}
figures["n_ratings"] = version.n_ratings
model_user = get_user_model().objects.get(pk=int(served.model.user_ids[0]))
newcomer, _ = get_user_model().objects.get_or_create(username="bench-artifact-newcomer")
if not Rating.objects.filter(user=newcomer).exists():
    rng = random.Random(7)
    for movie in Movie.objects.annotate(n=Count("ratings")).order_by("-n")[:10]:
        rating_set(user=newcomer, movie=movie, score=rng.choice([2.0, 3.0, 4.0, 5.0]))
for user in (model_user, newcomer):
    assert not recommendations_for_user(user=user).is_fallback
figures["rss_served"] = rss_mib()
figures["torch"] = "torch" in sys.modules
print(json.dumps(figures))
"""


def measure(site: Path, code: Path, redis_url: str) -> dict:
    env = {**server_env(site, redis_url), "PYTHONPATH": str(code)}
    done = subprocess.run([PYTHON, "-c", MEASURE], env=env, cwd=code, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sites", nargs="+", metavar="LABEL=FOLDER[@CODE]", help="the first is the baseline")
    args = parser.parse_args()
    results = {}
    with private_redis() as redis_url:
        for spec in args.sites:
            label, _, where = spec.partition("=")
            folder, _, code = where.partition("@")
            results[label] = measure(Path(folder), Path(code) if code else ROOT, redis_url)
    base = next(iter(results.values()))
    for label, figures in results.items():
        print(f"\n{label}: {figures['n_ratings']:,} ratings; torch imported: {figures['torch']}")
        for name, size in figures["files"].items():
            print(f"  {name:16} {size / 2**20:>9.2f} MiB")
    total = {label: sum(f["files"].values()) for label, f in results.items()}
    print(
        f"\n  {'site':12} {'artifact MiB':>12} {'RSS Django':>11} {'RSS loaded':>11} {'RSS served':>11} {'load s':>7}"
    )
    for label, f in results.items():
        print(
            f"  {label:12} {total[label] / 2**20:>12.2f} {f['rss_django']:>11.0f} {f['rss_loaded']:>11.0f} "
            f"{f['rss_served']:>11.0f} {f['load_s']:>7.2f}"
        )
    base_label, base_total = next(iter(results)), sum(base["files"].values())
    base_model = base["rss_loaded"] - base["rss_django"]
    for label, f in list(results.items())[1:]:
        print(
            f"  {label} / {base_label}: artifact x{total[label] / base_total:.3f}, "
            f"RSS loaded x{f['rss_loaded'] / base['rss_loaded']:.3f}, "
            f"RSS the load adds x{(f['rss_loaded'] - f['rss_django']) / base_model:.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
