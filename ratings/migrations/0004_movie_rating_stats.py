"""Rating count and sum on each movie, kept by triggers on the ratings table (ratings.rating_stats)."""

from django.db import migrations, models


def _triggers_install(apps, schema_editor):
    from ratings.rating_stats import rating_stats_triggers_install
    from ratings.services.rating_stats import movie_rating_stats_refresh

    rating_stats_triggers_install(schema_editor.connection)
    movie_rating_stats_refresh()


def _triggers_drop(apps, schema_editor):
    from ratings.rating_stats import rating_stats_triggers_drop

    rating_stats_triggers_drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("ratings", "0003_movie_tmdb"),
    ]

    operations = [
        migrations.AddField(
            model_name="movie",
            name="rating_count",
            field=models.PositiveIntegerField(db_index=True, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="movie",
            name="rating_sum",
            field=models.FloatField(default=0.0, editable=False),
        ),
        migrations.CreateModel(
            name="RatingStatsPause",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("started_at", models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.RunPython(_triggers_install, _triggers_drop, elidable=False),
    ]
