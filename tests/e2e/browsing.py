"""What the end-to-end tests share besides fixtures: browser settings, the live site, and steps a person takes."""

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import Page

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "test-artifacts" / "screenshots")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Headless Chromium that never reaches out on its own: no sandbox (containers), no first-run or update traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
# Playwright waits this long for a page or an element before a test fails.
TIMEOUT_MS = 15_000
PASSWORD = "correct-horse-battery-9"
STAFF_USERNAME = "e2e_staff"
# A movie's page; from a list shown to a signed-in person, with the list's id (feedback).
MOVIE_LINK = re.compile(r"/movies/(\d+)/(?:\?shown_list=[0-9a-f-]{36})?$")


@dataclass(frozen=True)
class Site:
    """The live server's address, and how another process (the Celery worker) reaches the same data."""

    url: str
    database_url: str
    redis_url: str
    model_dir: Path


def screenshot_path(name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')}.png"


def stars_label(score: float) -> str:
    """The accessible name of a star button, as a screen reader announces it."""
    return f"{score:g} star{'' if score == 1 else 's'}"


def movie_pk(href: str | None) -> int:
    found = MOVIE_LINK.search(href or "")
    assert found, f"not a movie page link: {href!r}"
    return int(found.group(1))


def log_in(page: Page, *, username: str, password: str = PASSWORD, path: str = "/accounts/login/") -> None:
    """Fill and send a login form (the site's or the admin's) as a person would."""
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state()


def member_create(*, username: str, ratings: dict[str, float]) -> "AbstractBaseUser":
    """A site member with a password and ratings of the movies titled as in ``ratings``."""
    from django.contrib.auth import get_user_model

    from ratings.models import Movie
    from ratings.services.ratings import rating_set

    user = get_user_model().objects.create_user(username, f"{username}@example.com", PASSWORD)
    for title, score in ratings.items():
        rating_set(user=user, movie=Movie.objects.get(title=title), score=score)
    return user


# Links, buttons and fields a person can use, as displayed now (not display:none, not visibility:hidden).
_DISPLAYED_CONTROLS_JS = """
(ignore) => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
                   + '[tabindex]:not([tabindex="-1"])';
  const name = (el) => (el.getAttribute('aria-label') || el.innerText || el.value || el.name || el.getAttribute('href')
                        || el.type || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
  const displayed = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  window.e2eControls = [...document.querySelectorAll(selector)]
    .filter((el) => displayed(el) && !(ignore && el.closest(ignore)));
  return window.e2eControls.map((el) => `${el.tagName.toLowerCase()} "${name(el)}"`);
}
"""
# For each displayed control: scrolled into view and focused (a skip link shows on focus), is it inside the
# viewport, and is it what a tap reaches (not covered by another element)? A link that wraps onto several lines
# is tapped on one of its line boxes, not at the centre of the box around them all.
_UNREACHABLE_CONTROLS_JS = """
(labels) => {
  const problems = [];
  const reaches = (el, hit) => hit && (el.contains(hit) || [...(el.labels || [])].some((l) => l.contains(hit)));
  window.e2eControls.forEach((el, index) => {
    el.scrollIntoView({block: 'center', inline: 'center'});
    el.focus({preventScroll: true});
    const box = el.getBoundingClientRect();
    const hits = [...el.getClientRects()]
      .map((r) => document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
    if (box.width < 1 || box.height < 1) problems.push(`${labels[index]} has no size`);
    else if (box.left < -0.5 || box.top < -0.5 || box.right > innerWidth + 0.5 || box.bottom > innerHeight + 0.5)
      problems.push(`${labels[index]} sticks out of the viewport (${Math.round(box.left)}, ${Math.round(box.top)}, `
                    + `${Math.round(box.right)}, ${Math.round(box.bottom)})`);
    else if (!hits.some((hit) => reaches(el, hit)))
      problems.push(`${labels[index]} is covered by ${hits[0] ? hits[0].outerHTML.slice(0, 80) : 'nothing'}`);
    el.blur();
  });
  window.scrollTo(0, 0);
  return problems;
}
"""


def displayed_controls(page: Page, *, ignore: str = "") -> list[str]:
    """A description of every control displayed on the page, in document order, except those inside ``ignore``
    (a CSS selector)."""
    return page.evaluate(_DISPLAYED_CONTROLS_JS, ignore)


def layout_problems(page: Page, *, width: int) -> list[str]:
    """What keeps a person from using the page in a window ``width`` px wide: overflow, and controls out of reach."""
    problems = []
    # A phone lays a page out wider than its screen, and zooms out, when something is too wide for it.
    page_width, window_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if max(page_width, window_width) > width:
        problems.append(f"the page is {max(page_width, window_width)} px wide on a {width} px screen")
    problems += page.evaluate(_UNREACHABLE_CONTROLS_JS, displayed_controls(page))
    return problems
