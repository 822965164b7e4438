"""`manage.py benchmark`: the standard protocol on MovieLens 100k, every contender, one table."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from insights.benchmark import (
    BenchmarkError,
    Options,
    benchmark_markdown_write,
    benchmark_run,
    ratings_fetch,
    ratings_read,
    report_markdown,
    report_table,
)


class Command(BaseCommand):
    help = (
        "Benchmark the popularity list, the classic recipe (bs=64), the dot and nn defaults ranked by predicted rating "
        "and the site's list (dot + ranking model) on a random 80/20 split (seed 42) and a per-user time split; "
        "print RMSE, MAE, NDCG@10, P@10, R@10, coverage and seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data", type=Path, help="ratings in the u.data layout, or a MovieLens folder or zip (default: ml-100k)"
        )
        parser.add_argument(
            "--markdown",
            nargs="?",
            const=Path(settings.BASE_DIR) / "BENCHMARKS.md",
            type=Path,
            metavar="FILE",
            help="also write the table between the benchmark markers of FILE (default: BENCHMARKS.md)",
        )
        parser.add_argument("--quick", action="store_true", help="one epoch per learned model (a smoke test)")

    def handle(self, *args: object, data: Path | None, markdown: Path | None, quick: bool, **options: object) -> None:
        try:
            ratings, genres, dataset = (*ratings_read(data), data.name) if data else ratings_fetch()
            report = benchmark_run(
                ratings=ratings,
                dataset=dataset,
                options=Options(quick=quick, genres=genres),
                progress=lambda line: self.stderr.write(line),
            )
            self.stdout.write(report_table(report, markdown=False))
            if markdown is not None:
                command = "python manage.py benchmark" + (" --quick" if quick else "")
                benchmark_markdown_write(path=markdown, block=report_markdown(report, command=command))
                self.stdout.write(f"Wrote the table into {markdown}.")
        except BenchmarkError as error:
            raise CommandError(str(error)) from error
