"""The pages of the other end-to-end tests at a phone's width: nothing overflows and every control is reachable."""

from collections import Counter

import pytest
from playwright.sync_api import Page

from tests.e2e.browsing import (
    DESKTOP,
    PHONE,
    STAFF_USERNAME,
    displayed_controls,
    layout_problems,
    log_in,
    member_create,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MEMBER_RATINGS = {
    "Star Wars": 5,
    "Contact": 3.5,
    "Fargo": 4.5,
    "Return of the Jedi": 4,
    "Liar Liar": 2,
    "English Patient, The": 1.5,
    "Scream": 3,
    "Toy Story": 4,
    "Air Force One": 2.5,
    "Godfather, The": 5,
}
# Django's admin hides its side navigation on narrow screens, by design: every page links back to the index,
# which lists the same models.
DESKTOP_ONLY = "#nav-sidebar, #toggle-nav-sidebar"
# (name, who is signed in, address; {toy_story} and {active} stand for a movie and the active model version)
PAGES = [
    ("home", None, "/"),
    ("signup", None, "/accounts/signup/"),
    ("login", None, "/accounts/login/"),
    ("onboarding", "member", "/welcome/"),
    ("recommendations", "member", "/"),
    ("search", "member", "/movies/?q=star"),
    ("movie", "member", "/movies/{toy_story}/"),
    ("insights", "staff", "/insights/"),
    ("insights-version", "staff", "/insights/versions/{active}/"),
    ("insights-data", "staff", "/insights/data/"),
    ("admin", "staff", "/admin/"),
    ("admin-versions", "staff", "/admin/recommender/modelversion/"),
]


@pytest.mark.parametrize(("name", "who", "address"), PAGES, ids=[page[0] for page in PAGES])
def test_page_fits_a_phone(phone_page: Page, name: str, who: str | None, address: str) -> None:
    """At 375 x 812 the page is no wider than the window; every control shown (the same ones as at desktop width)
    can be scrolled to, lies inside the viewport and is what a tap on it reaches."""
    from ratings.models import Movie
    from recommender.models import ModelVersion

    if who == "member":
        member_create(username=f"phone_{name}", ratings=MEMBER_RATINGS)
        log_in(phone_page, username=f"phone_{name}")
    elif who == "staff":
        log_in(phone_page, username=STAFF_USERNAME)
    toy_story = Movie.objects.get(title="Toy Story").pk
    active = ModelVersion.objects.active().values_list("pk", flat=True).first()
    response = phone_page.goto(address.format(toy_story=toy_story, active=active))
    assert response is not None and response.ok, f"{address}: HTTP {response and response.status}"

    phone_page.set_viewport_size(DESKTOP)
    at_desktop = Counter(displayed_controls(phone_page, ignore=DESKTOP_ONLY))
    phone_page.set_viewport_size(PHONE)  # and so the screenshot shows the phone's view
    problems = layout_problems(phone_page, width=PHONE["width"])
    missing = at_desktop - Counter(displayed_controls(phone_page, ignore=DESKTOP_ONLY))
    problems += [f"{control} is shown at desktop width but not on a phone" for control in missing.elements()]
    assert not problems, "\n".join(problems)
