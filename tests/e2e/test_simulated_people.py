"""bench/online.py's simulated people on the live site, in small: they sign up, rate and use their lists over HTTP
as the benchmark drives them, and the active version's online metrics count exactly what they did."""

import sys
from pathlib import Path

import numpy as np

from feedback.metrics import online_metrics
from recommender.models import ModelVersion
from recommender.services.artifact_cache import artifact_load
from recsys.simulated_users import ClickParams
from tests.e2e.browsing import Site

# bench/ is not a package: its scripts import one another by name, from their own folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from online_people import Person, person_drive, simulator_counts

PEOPLE = 3
VISITS = 3


def test_simulated_people_drive_the_site_and_its_online_metrics_count_what_they_did(e2e_site: Site) -> None:
    """Each person's sign-up, onboarding ratings, lists, openings and ratings from them go through the site's
    pages and API; the version's metrics (lists, opened, rated, liked, movies) equal the simulator's own counts."""
    active = ModelVersion.objects.active().get()
    taste = artifact_load(version=active)
    before = online_metrics(version_id=active.pk, catalogue=active.n_movies).total
    # Everyone looks at every list: the few people of a test open something.
    clicks = ClickParams(first=1.0, eta=0.0, midpoint=3.0)
    people = [
        person_drive(
            base=e2e_site.url,
            taste=taste,
            params=clicks,
            person=Person(number, row=number, attention=1.0, rng=np.random.default_rng(number)),
            username=f"simulated{number}",
            visits=VISITS,
        )
        for number in range(PEOPLE)
    ]

    assert all(len(person.seen) == VISITS and len(person.rated) >= 10 for person in people)
    done = simulator_counts(people, active.pk)
    assert done["opened"] > 0 and done["liked"] > 0
    after = online_metrics(version_id=active.pk, catalogue=active.n_movies).total
    counted = {name: getattr(after, name) - getattr(before, name) for name in ("lists", "opened", "rated", "liked")}
    assert counted == {name: done[name] for name in counted}
