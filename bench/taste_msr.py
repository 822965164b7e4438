"""Goal 7 of issue 13: the Microsoft Recommenders protocol on MovieLens 100k, beside their published table.

Their split (``python_stratified_split``): each user's ratings shuffled (seed 42) and the first 75% (rounded) kept
for training, the rest for test; every test movie is relevant, whatever its rating; top 10 without the training
movies; NDCG@10 with binary relevance. The site's list is measured twice: through ``recsys.trainers.ranked_trainer``
and ``recsys.evaluation`` (as ``manage.py evaluate`` would), and through the benchmark's own pages (a learned user
served by their learned vectors), which must agree; every other list through its pages, and EASE as it is usually
run (fed every rating, l2 tuned on a split of the same kind carved out of the training part).
"""

import sys

import numpy as np
import pandas as pd
from taste_lists import FittedEase, ListMaker, SiteList
from taste_people import person_of
from taste_table import table
from tqdm import tqdm

from recsys.evaluation import K, evaluation_run
from recsys.metrics import ranking_metrics
from recsys.trainers import ranked_trainer

MSR_SEED = 42
MSR_TRAIN_SHARE = 0.75
EASE_L2_GRID = (100.0, 200.0, 500.0, 1000.0, 2000.0)
# Their README's ml-100k table (k = 10), for reference: not rerun here.
PUBLISHED = {"BiVAE": 0.475, "BPR": 0.442, "SAR": 0.382, "FastAI": 0.148}


def msr_split(*, ratings: pd.DataFrame, seed: int = MSR_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per user, a random 75% (rounded) of their ratings for training and the rest for test."""
    shuffled = ratings.sample(frac=1.0, random_state=seed)
    rank = shuffled.groupby("user").cumcount().to_numpy()
    sizes = shuffled.groupby("user")["movie"].transform("size").to_numpy()
    training = rank < np.round(MSR_TRAIN_SHARE * sizes)
    return shuffled[training].sort_index(), shuffled[~training].sort_index()


def msr_ease_tune(*, train: pd.DataFrame) -> FittedEase:
    """EASE fed every rating, with the l2 of EASE_L2_GRID best on a validation split (seed 0) of ``train``."""
    fit_part, check = msr_split(ratings=train, seed=0)
    people = {int(u): person_of(group, user=int(u)) for u, group in fit_part.groupby("user")}

    def ndcg(l2: float) -> float:
        fitted = FittedEase.of(fit_part, l2=l2, liked_only=False)
        return _metrics({u: fitted.page(person=p, limit=K).movies.tolist() for u, p in people.items()}, check)[
            "ndcg@10"
        ]

    return FittedEase.of(train, l2=max(EASE_L2_GRID, key=ndcg), liked_only=False)


def _metrics(top_k: dict[int, list[int]], test: pd.DataFrame) -> dict[str, float]:
    relevant = {int(u): set(group["movie"].tolist()) for u, group in test.groupby("user")}
    return ranking_metrics(top_k=top_k, relevant=relevant, k=K)


def msr_table(*, ratings: pd.DataFrame, makers: dict[str, ListMaker], markdown: bool) -> str:
    """NDCG@10, P@10, R@10 of the site's list by recsys.evaluation and of every list by its pages, then theirs."""
    train, test = msr_split(ratings=ratings)
    site = makers.get("site", SiteList())
    trainer = ranked_trainer(
        params=site.params, ranking_params=site.ranking_params, list_params=site.list_params, genres=site.genres
    )
    result = evaluation_run(train=train, test=test, trainer=trainer)
    evaluated = {int(u): group.sort_values("rank")["movie"].tolist() for u, group in result.top_k.groupby("user")}
    rows = [("site's list, through recsys.evaluation (ranked_trainer)", _metrics(evaluated, test))]
    people = {int(u): person_of(group, user=int(u)) for u, group in train.groupby("user")}
    for maker in tqdm(makers.values(), desc="msr: lists", file=sys.stderr, leave=False):
        fitted = maker.fit(train=train)
        top_k = {u: fitted.page(person=person, limit=K).movies.tolist() for u, person in people.items()}
        rows.append((f"{maker.label}, through its pages", _metrics(top_k, test)))
    ease = msr_ease_tune(train=train)
    top_k = {u: ease.page(person=person, limit=K).movies.tolist() for u, person in people.items()}
    rows.append((f"EASE fed every rating, l2 {ease.l2:g} tuned on a validation split", _metrics(top_k, test)))
    header = ["list", "NDCG@10", "P@10", "R@10"]
    lines = [[label, f"{m['ndcg@10']:.3f}", f"{m['precision@10']:.3f}", f"{m['recall@10']:.3f}"] for label, m in rows]
    lines += [[f"{name} (published)", f"{ndcg:.3f}", "", ""] for name, ndcg in PUBLISHED.items()]
    title = (
        f"Microsoft Recommenders protocol: per-user stratified 75/25 (seed {MSR_SEED}), {len(train)} training and "
        f"{len(test)} test ratings, every test movie relevant, k={K}"
    )
    return title + "\n" + table(rows=[header, *lines], markdown=markdown)
