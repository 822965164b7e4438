"""Users until a confident answer: team-draft interleaving against an A/B split of users, for a strong and a weak
difference between two versions, in numpy alone (recsys.interleaving, recsys.comparison, recsys.simulated_users).

The versions are lists of known error: each person's whole catalogue ordered by their true rating plus normal noise
(A errs by 0.3 stars; B by 1 star in the strong difference, 0.5 in the weak one), the truth a taste model of the
spread of the one fitted to MovieLens 100k (``synthetic_taste``, 943 users, 1682 movies), or a fitted artifact
(``--artifact var/.../models/<version>``). Simulated people arrive one after the other, each a random row of the
taste model who sees lists of 10 and clicks and rates by the position-based model of recsys.simulated_users.

Both designs see the same people and the same two lists per visit, and both are judged by the same always-valid
test (recsys.comparison, alpha 0.05, looked at after every person):
- interleaving: each person sees the team-draft list of A's and B's and prefers the version that won more of
  their lists, a list won by the version whose movies they clicked (or liked: rated 4 or more) more;
- A/B: people alternate between A and B, each seeing their version's lists alone; each pair (one of A, the next of
  B) prefers the version whose person clicked (liked) more, a tied pair says nothing (the sign test on pairs: with
  equal versions either person of a pair is as likely to click more, so it is the same test with the same alpha).
  Its users are two per pair.

The people of a scenario are alike (each looks at the first position 40% of the time) or unlike: each their own
probability of looking, drawn from Beta(0.8, 1.2) (mean 0.4; a tenth under 5%, a tenth over 82%), the spread of
activity that interleaving compares within and an A/B split has to average out (Chapelle, Joachims, Radlinski and
Yue, "Large-scale validation and analysis of interleaved search evaluation", TOIS 2012); and each sees one list,
or five (five visits, the versions' lists drawn anew each time).

Each run draws its own people until all four tests (two designs, two signals) have stopped or ``--max-users``
came. Prints, per scenario, difference, signal and design, the median and 90th percentile of the users until a
verdict (runs still going count at the cap), and the A/B's median over interleaving's, the ratio; then the runs
whose verdict was not the better version (the worse, no difference: the share of non-tied users within 5 points
of a half, or none at the cap); then each version's true rating of its top 10, and its clicks a list and the share
of lists clicked at all, on its own lists; then, pooled over every person of every run (every pair for A/B), the
share of those who preferred a version that preferred A, and how many preferred one at all: what sets the users
a test needs. One BLAS thread (threadpool_limits), as the site's processes have.

    .venv/bin/python bench/interleaving_power.py [--runs 40] [--artifact DIR] [--markdown]
"""

import argparse
import itertools
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import SEED, quantile
from threadpoolctl import threadpool_limits

from recsys.comparison import SequentialParams, Verdict, comparison_stop
from recsys.rating_model import FactorModel
from recsys.simulated_users import (
    interleaved_preferences,
    simulated_lists,
    simulated_responses,
    synthetic_taste,
    true_ratings,
)

K = 10
NOISE_A = 0.3
DIFFERENCES = {"strong": 1.0, "weak": 0.5}  # B's noise, in stars


@dataclass(frozen=True)
class People:
    attention: tuple[float, float] | None  # the Beta of each person's attention; None: ClickParams' 0.4 for all
    visits: int  # lists each person sees


SCENARIOS = {
    "alike, 1 list": People(attention=None, visits=1),
    "alike, 5 lists": People(attention=None, visits=5),
    "unlike, 1 list": People(attention=(0.8, 1.2), visits=1),
    "unlike, 5 lists": People(attention=(0.8, 1.2), visits=5),
}
CHUNK = 2000  # lists drawn at a time
SIGNALS = ("clicks", "likes")
DESIGNS = ("interleaving", "A/B")
PARAMS = SequentialParams()
FIELDS = ("prefer_a", "prefer_b", "judged")


@dataclass(frozen=True)
class Outcome:
    users: int  # until the verdict
    verdict: Verdict
    # Over the whole run (every person, or pair, until the last test stopped): those preferring A, B, and all.
    prefer_a: int
    prefer_b: int
    judged: int


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--max-users", type=int, default=100_000, help="a run stops drawing people here")
    parser.add_argument("--artifact", type=Path, help="a fitted model's folder (serving.npz) as the true taste")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    threadpool_limits(limits=1)  # the taste model's products on one core: the machine's others are not ours

    if args.artifact:
        taste = FactorModel.load(args.artifact)
        source = f"the taste of {args.artifact.name} ({len(taste.user_ids)} users, {len(taste.movie_ids)} movies)"
    else:
        taste = synthetic_taste(users=943, movies=1682, seed=SEED)
        source = "synthetic_taste (943 users, 1682 movies)"
    started = time.perf_counter()
    table: list[list[str]] = []
    bold = "**" if args.markdown else ""
    misses: list[str] = []
    evidence: list[list[str]] = []
    for (scenario, people), (difference, noise_b) in itertools.product(SCENARIOS.items(), DIFFERENCES.items()):
        outcomes = [run(taste, noise_b, people, args.max_users, seed=SEED + i) for i in range(args.runs)]
        row = [scenario, difference]
        evidence.append([scenario, difference])
        for signal in SIGNALS:
            medians = {}
            for design in DESIGNS:
                users = [o[signal, design].users for o in outcomes]
                medians[design] = quantile(users, 0.5)
                row.append(f"{medians[design]:.0f} ({quantile(users, 0.9):.0f})")
                verdicts = [o[signal, design].verdict for o in outcomes if o[signal, design].verdict != Verdict.A_WINS]
                misses += [
                    f"{scenario}, {difference}, {signal}, {design}: {verdicts.count(v)} {v}" for v in set(verdicts)
                ]
                a, b, judged = (sum(getattr(o[signal, design], f) for o in outcomes) for f in FIELDS)
                evidence[-1].append(f"{a / max(a + b, 1):.1%} of {(a + b) / max(judged, 1):.0%}")
            row.append(f"{bold}{medians['A/B'] / medians['interleaving']:.1f}x{bold}")
        table.append(row)
    designs = [f"{signal}: {design}" for signal in SIGNALS for design in (*DESIGNS, "A/B / interleaving")]
    print_table(["people", "difference", *designs], table, markdown=args.markdown)
    print("\nusers until a verdict: median (90th percentile) over the runs. Runs that did not name the better version:")
    print("; ".join(sorted(misses)) or "none")
    print()
    quality = [[name, *version_quality(taste, noise_b)] for name, noise_b in DIFFERENCES.items()]
    header = ["difference", "top 10 true rating A", "B", "clicks a list A", "B", "lists clicked A", "B"]
    print_table(header, quality, markdown=args.markdown)
    print()
    header = ["people", "difference", *(f"{signal}: {design}" for signal in SIGNALS for design in DESIGNS)]
    print_table(header, evidence, markdown=args.markdown)
    print("\nthe share preferring A among the people (A/B: pairs) who preferred a version, of all of them; every run")
    print(f"\n{args.runs} runs each, alpha {PARAMS.alpha}, prior {PARAMS.prior}, margin {PARAMS.margin}, at most "
          f"{args.max_users} users; {source}; {time.perf_counter() - started:.0f} s")  # fmt: skip
    return 0


def run(
    taste: FactorModel, noise_b: float, people: People, max_users: int, *, seed: int
) -> dict[tuple[str, str], Outcome]:
    """One stream of people until every test has stopped (or max_users came): each test's users and verdict, and
    the preferences of the whole stream."""
    rng = np.random.default_rng(seed)
    per_chunk = CHUNK // people.visits
    interleaved: dict[str, list[np.ndarray]] = {signal: [] for signal in SIGNALS}
    pairs: dict[str, list[np.ndarray]] = {signal: [] for signal in SIGNALS}
    stops: dict[tuple[str, str], tuple[int, Verdict]] = {}
    seen = 0
    while len(stops) < len(SIGNALS) * len(DESIGNS):
        # Each person their own taste row and attention, on every one of their visits.
        person = np.repeat(np.arange(per_chunk), people.visits)
        rows = rng.integers(0, len(taste.user_ids), per_chunk)[person]
        looks = None if people.attention is None else rng.beta(*people.attention, per_chunk)[person]
        lists_a = simulated_lists(taste=taste, user_rows=rows, k=K, noise=NOISE_A, rng=rng)
        lists_b = simulated_lists(taste=taste, user_rows=rows, k=K, noise=noise_b, rng=rng)
        preferences = interleaved_preferences(
            taste=taste, user_rows=rows, lists_a=lists_a, lists_b=lists_b, k=K, rng=rng, attention=looks, people=person
        )
        # A/B: even people see A, odd people B, on all their visits.
        shown = np.where((person % 2 == 0)[:, None], lists_a, lists_b)
        responses = simulated_responses(taste=taste, user_rows=rows, movie_ids=shown, rng=rng, attention=looks)
        for signal, hits in zip(SIGNALS, (responses.clicked, responses.liked), strict=True):
            per_person = np.bincount(person, weights=hits.sum(axis=1), minlength=per_chunk)
            pairs[signal].append(np.sign(per_person[0::2] - per_person[1::2]).astype(np.int8))
            interleaved[signal].append(getattr(preferences, signal))
        seen += per_chunk
        for signal, (design, sequences, users_each) in itertools.product(
            SIGNALS, (("interleaving", interleaved, 1), ("A/B", pairs, 2))
        ):
            if (signal, design) not in stops:
                stop = comparison_stop(preferences=np.concatenate(sequences[signal]), params=PARAMS)
                if stop.verdict != Verdict.CONTINUE or seen >= max_users:
                    stops[signal, design] = (stop.users * users_each, stop.verdict)
    outcomes = {}
    for (signal, design), (users, verdict) in stops.items():
        # The whole run, not the data up to the stop: a test stops when its data lean far, so those overstate.
        everyone = np.concatenate((interleaved if design == "interleaving" else pairs)[signal])
        prefer_a, prefer_b = int((everyone > 0).sum()), int((everyone < 0).sum())
        outcomes[signal, design] = Outcome(users, verdict, prefer_a, prefer_b, judged=len(everyone))
    return outcomes


def version_quality(taste: FactorModel, noise_b: float) -> list[str]:
    """The offline truth, over 20,000 people alike: the mean true rating of A's and B's top 10, their clicks a list
    and the share of their own lists on which people clicked at all."""
    rng = np.random.default_rng(SEED)
    rows = rng.integers(0, len(taste.user_ids), 20_000)
    ratings, clicks, clicked = [], [], []
    for noise in (NOISE_A, noise_b):
        lists = simulated_lists(taste=taste, user_rows=rows, k=K, noise=noise, rng=rng)
        responses = simulated_responses(taste=taste, user_rows=rows, movie_ids=lists, rng=rng)
        ratings.append(f"{true_ratings(taste=taste, user_rows=rows, movie_ids=lists).mean():.3f}")
        clicks.append(f"{responses.clicked.sum(axis=1).mean():.2f}")
        clicked.append(f"{responses.clicked.any(axis=1).mean():.0%}")
    return [*ratings, *clicks, *clicked]


def print_table(header: list[str], rows: list[list[str]], *, markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    raise SystemExit(main())
