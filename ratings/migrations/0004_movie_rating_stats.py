"""Rating count and sum on each movie, kept by triggers on the ratings table, which post_migrate installs and
counts from (ratings.apps, ratings.rating_stats)."""

from django.db import migrations, models


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
    ]
