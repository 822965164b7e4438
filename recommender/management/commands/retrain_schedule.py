"""``manage.py retrain_schedule``: make sure the periodic retrain exists in django-celery-beat (idempotent)."""

from django.core.management.base import BaseCommand, CommandParser

from recommender.services.retrain import retrain_schedule_ensure


class Command(BaseCommand):
    help = (
        "Create the nightly retrain (setting RECOMMENDER_RETRAIN_CRONTAB) unless it exists; an edited schedule is "
        "kept (edit it in the admin under Periodic tasks), unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="restore the default schedule and enable it")

    def handle(self, *args: object, **options: object) -> None:
        task, created = retrain_schedule_ensure(reset=bool(options["reset"]))
        state = "created" if created else ("reset" if options["reset"] else "kept")
        enabled = "enabled" if task.enabled else "disabled"
        self.stdout.write(f"Retrain schedule {state}: {task.name!r} at {task.crontab} ({enabled}).")
