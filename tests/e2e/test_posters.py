"""Every card leads with its poster, in a real browser under the production Content-Security-Policy, at 1280 and
375 px: each poster is an image that decodes, its 2:3 box is there before it loads, and the policy refused nothing."""

import re
from collections.abc import Iterator

import pytest
from django.test import override_settings
from playwright.sync_api import Page

from tests.e2e.browsing import DESKTOP, PHONE, log_in, member_create, screenshot_path
from tests.movierec_site.production_settings import production_settings_import

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MEMBER_RATINGS = {"Star Wars": 5, "Fargo": 4.5, "Contact": 3, "Toy Story": 4, "Scream": 2, "Titanic": 3.5}
# (name, address, what holds the posters); {toy_story} stands for that movie's number.
PAGES = [
    ("recommendations", "/", "#recommendations .card"),
    ("catalogue", "/movies/", "#movie-results .card"),
    ("movie", "/movies/{toy_story}/", ".movie-poster, .movie .card"),
    ("onboarding", "/welcome/", "#onboarding-list .card"),
]
# For each poster: is it the card's first thing, has it its 2:3 box, and (once scrolled to and loaded) does it decode?
_POSTERS_JS = """
async (selector) => {
  const found = [];
  for (const holder of document.querySelectorAll(selector)) {
    const img = holder.querySelector('img.poster');
    if (!img) { found.push({missing: holder.id || holder.className}); continue; }
    const before = img.getBoundingClientRect();
    img.scrollIntoView({block: 'center'});
    if (!img.complete || !img.naturalWidth) {
      await new Promise((done) => { img.addEventListener('load', done); img.addEventListener('error', done);
                                    setTimeout(done, 10000); });
    }
    try { await img.decode(); } catch (error) {}
    const after = img.getBoundingClientRect();
    found.push({
      src: img.getAttribute('src'), natural: img.naturalWidth, width: after.width,
      ratio: after.height / after.width, jumped: Math.abs(after.height - before.height) > 0.5,
      first: holder.classList.contains('movie-poster')
             || [...holder.children].find((child) => !child.matches('input[type=hidden]')).contains(img),
    });
  }
  window.scrollTo(0, 0);
  return found;
}
"""


@pytest.fixture
def production_policy(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The production settings' Content-Security-Policy, sent by the live server for the test."""
    policy = production_settings_import(monkeypatch).CONTENT_SECURITY_POLICY
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        yield policy


NAVIGATION_ABORT = "net::ERR_ABORTED"


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_cards_show_their_posters_under_the_production_policy(
    request: pytest.FixtureRequest, production_policy: str, viewport: str
) -> None:
    """On the recommendations, the catalogue, a movie's page and onboarding, every card's first element is its
    poster: an image that decodes, as wide as the card allows and 2:3, whose box does not change as it loads; the
    browser reports no policy violation and no failed load."""
    from ratings.models import Movie

    page: Page = request.getfixturevalue("page" if viewport == "desktop" else "phone_page")
    width = (DESKTOP if viewport == "desktop" else PHONE)["width"]
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    # Leaving a page cancels the lazy posters still loading below the fold (net::ERR_ABORTED): the next page's
    # navigation, not a failed load; how many are in flight then depends on the machine's speed alone.
    page.on(
        "requestfailed",
        lambda failed: (
            problems.append(f"{failed.url}: {failed.failure}") if failed.failure != NAVIGATION_ABORT else None
        ),
    )
    member_create(username=f"posters_{viewport}", ratings=MEMBER_RATINGS)
    log_in(page, username=f"posters_{viewport}")
    toy_story = Movie.objects.get(title="Toy Story").pk

    for name, address, selector in PAGES:
        response = page.goto(address.format(toy_story=toy_story))
        assert response.headers["content-security-policy"] == production_policy
        posters = page.evaluate(_POSTERS_JS, selector)

        assert len(posters) >= (1 if name == "movie" else 6), f"{name}: {posters}"
        for poster in posters:
            assert "missing" not in poster, f"{name}: a card without a poster: {poster}"
            assert re.fullmatch(r"/movies/\d+/poster", poster["src"]), poster
            assert poster["natural"] > 0, f"{name}: {poster['src']} did not decode"
            assert poster["first"], f"{name}: {poster['src']} is not the card's first element"
            assert not poster["jumped"], f"{name}: {poster['src']} changed height as it loaded"
            assert poster["ratio"] == pytest.approx(1.5, abs=0.02)
            assert poster["width"] >= (96 if width < 768 else 180)
        page.screenshot(path=screenshot_path(f"posters-{name}-{width}"))
    assert problems == []
