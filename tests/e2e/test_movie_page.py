"""A member, in a real browser: search, open the movie, change the rating in place, follow "more like this"."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import log_in, member_create, movie_pk, screenshot_path, stars_label

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MEMBER_RATINGS = {"Toy Story": 3, "Star Wars": 5, "Fargo": 4, "Contact": 2, "Scream": 1.5, "Titanic": 3.5}


def test_search_open_movie_change_rating_in_place_and_follow_more_like_this(page: Page) -> None:
    """The nav search finds a title whatever its accents and case; on the movie's page a star click changes the
    member's rating without reloading the page (shown, and stored); a "more like this" card opens that movie."""
    from ratings.models import Movie, Rating

    member = member_create(username="searcher", ratings=MEMBER_RATINGS)
    log_in(page, username="searcher")
    expect(page.get_by_role("heading", level=1)).to_have_text("Recommended for you")

    page.get_by_role("searchbox", name="Search movies by title").fill("TOY story")
    page.get_by_role("searchbox", name="Search movies by title").press("Enter")
    expect(page).to_have_url(re.compile(r"/movies/\?q=TOY\+story$"))
    page.locator("#movie-results").get_by_role("link", name="Toy Story", exact=True).click()

    toy_story = Movie.objects.get(title="Toy Story")
    expect(page).to_have_url(re.compile(rf"/movies/{toy_story.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Toy Story (1995)")
    status = page.locator(f"#rating-{toy_story.pk} .rating-status")
    expect(status).to_have_text("Your rating: 3 / 5")
    expect(page.locator(".predicted")).to_have_text(re.compile(r"^We think you would give it [0-5]\.\d stars?\.$"))

    page.evaluate("window.e2eSamePage = true")  # gone if the click below reloads the page
    # The movie's own widget: the "more like this" cards have stars too.
    own_stars = page.get_by_role("region", name="Your rating").get_by_role("button", name=stars_label(4.5), exact=True)
    own_stars.click()
    expect(status).to_have_text("Your rating: 4.5 / 5")
    expect(own_stars).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.e2eSamePage") is True
    assert Rating.objects.get(user=member, movie=toy_story).score == 4.5

    similar = page.get_by_role("region", name="More like this").locator(".card-title a")
    expect(similar.first).to_be_visible()
    assert similar.count() >= 3
    first = similar.first
    title, href = first.inner_text(), first.get_attribute("href")
    assert movie_pk(href) != toy_story.pk
    page.screenshot(path=screenshot_path("movie"), full_page=True)
    first.click()
    # Opened from the "more like this" list, whose id the link carries.
    expect(page).to_have_url(re.compile(rf"/movies/{movie_pk(href)}/\?shown_list=[0-9a-f-]{{36}}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
