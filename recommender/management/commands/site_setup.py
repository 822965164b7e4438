"""Prepare a site for its first start, idempotently: admin user, MovieLens catalogue, retrain schedule, first model."""

import os

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from ratings.models import Movie
from recommender.models import ModelVersion


class Command(BaseCommand):
    help = "Create the admin from DJANGO_SUPERUSER_*, import MovieLens when empty, schedule and train when needed."

    def handle(self, *args: object, **options: object) -> None:
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if username and password:
            user, created = get_user_model().objects.get_or_create(
                username=username, defaults={"is_staff": True, "is_superuser": True}
            )
            if created:
                user.set_password(password)
                user.save()
                self.stdout.write(f"Created the admin user {username}.")
        if not Movie.objects.exists():
            call_command("import_movielens", stdout=self.stdout, stderr=self.stderr)
        call_command("retrain_schedule", stdout=self.stdout, stderr=self.stderr)
        if not ModelVersion.objects.active().exists():
            call_command("train", stdout=self.stdout, stderr=self.stderr)
