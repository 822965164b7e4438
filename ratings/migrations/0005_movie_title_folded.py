"""The folded title the catalogue's search matches words in, with a trigram index on PostgreSQL (ratings.search)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

TRIGRAM_INDEX = "ratings_movie_title_folded_trgm"


def _titles_fold(apps, schema_editor):
    from ratings.folding import text_fold

    Movie = apps.get_model("ratings", "Movie")
    movies = list(Movie.objects.only("pk", "title"))
    for movie in movies:
        movie.title_folded = text_fold(movie.title)
    Movie.objects.bulk_update(movies, ["title_folded"], batch_size=2000)


def _trigram_index_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {TRIGRAM_INDEX} ON ratings_movie USING gin (title_folded gin_trgm_ops)"
        )


def _trigram_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("ratings", "0004_movie_rating_stats"),
    ]

    operations = [
        migrations.AddField(
            model_name="movie",
            name="title_folded",
            field=models.CharField(blank=True, editable=False, max_length=255),
        ),
        migrations.RunPython(_titles_fold, migrations.RunPython.noop, elidable=False),
        # Skipped on any database but PostgreSQL, as the index below.
        TrigramExtension(),
        migrations.RunPython(_trigram_index_create, _trigram_index_drop, elidable=False),
    ]
