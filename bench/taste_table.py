"""The tables bench/taste.py prints: one row per measure of issue 13's goals, plain text or Markdown."""

from dataclasses import dataclass

from taste_lists import ListMaker
from taste_people import GIVEN


@dataclass(frozen=True)
class Row:
    goal: str
    measure: str
    key: str
    at_least: float | None = None
    at_most: float | None = None
    shown: str = "{:.2f}"  # how a figure is written
    relative: bool = False  # judged on the ratio to the popularity list's figure

    def cell(self, value: float | None, popularity: float | None) -> str:
        if value is None:
            return "n/a"
        text = self.shown.format(value)
        return f"{text} ({value / popularity:.2f}x)" if self.relative and popularity else text

    def target(self) -> str:
        if self.at_least is None and self.at_most is None:
            return ""
        bound = self.at_least if self.at_least is not None else self.at_most
        text = f"{bound:.2f}x popularity" if self.relative else self.shown.format(bound)
        return (">= " if self.at_least is not None else "<= ") + text

    def passes(self, value: float | None, popularity: float | None) -> str:
        """pass or FAIL against the goal; empty for a reference row or a list without the figure."""
        if value is None or not self.target():
            return ""
        value = value / popularity if self.relative else value
        ok = value >= self.at_least if self.at_least is not None else value <= self.at_most + 1e-12
        return "pass" if ok else "FAIL"


PERCENT = "{:.0%}"
ROWS = (
    Row("1", "personas: loved genre in the top 20", "loved", at_least=0.60, shown=PERCENT),
    Row("1", "personas: hated genre in the top 20", "hated", at_most=0.08, shown=PERCENT),
    Row("1", "personas with a hated-only movie in the top 5", "hated_top5", at_most=0.0, shown=PERCENT),
    Row("2", "dislikes: places the 10 co-rated neighbours move down", "displacement", at_least=30.0, shown="{:.1f}"),
    *(
        Row("3", f"new users, first {n} ratings: NDCG@10", f"ndcg_{n}", at_least=1.15, shown="{:.3f}", relative=True)
        for n in GIVEN
    ),
    Row("4", "coherent stars: top-10 cards below 3 stars", "below_3", at_most=0.02, shown="{:.1%}"),
    Row("5", "stable stars: top-50 change, fold-in -> learned", "stable", at_most=0.25),
    Row("5", "  reference: learned by both trainings (noise)", "retrain_noise"),
    Row("6", "reasons named among the movie's 20 nearest (co-rating)", "reason_near", at_least=0.70, shown=PERCENT),
    Row("6", "  reference: cards that name a movie as the reason", "reason_named", shown=PERCENT),
    Row("6", "  reference: some liked movie is among them", "reason_ceiling", shown=PERCENT),
    Row("6", "more like this: listed with >= 20 ratings", "similar_known", at_least=1.0, shown=PERCENT),
    Row("6", "more like this: sharing a genre (of 6)", "similar_genre", at_least=4.0, shown="{:.1f}"),
)


def table(*, rows: list[list[str]], markdown: bool) -> str:
    header, body = rows[0], rows[1:]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in body)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def taste_table(
    *, figures: dict[str, dict], makers: dict[str, ListMaker], candidates: list[str], markdown: bool
) -> str:
    rows = [["goal", "measure", *(makers[n].label for n in makers), "goal", "pass"]]
    for spec in ROWS:
        popularity = figures["popularity"].get(spec.key)
        values = [figures[name].get(spec.key) for name in makers]
        verdicts = [spec.passes(figures[name].get(spec.key), popularity) for name in candidates]
        verdict = (
            verdicts[0]
            if len(candidates) == 1
            else ", ".join(f"{n}: {v}" for n, v in zip(candidates, verdicts, strict=True) if v)
        )
        rows.append([spec.goal, spec.measure, *(spec.cell(v, popularity) for v in values), spec.target(), verdict])
    return table(rows=rows, markdown=markdown)
