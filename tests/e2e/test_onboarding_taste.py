"""A newcomer, in a real browser at 1280 and 375 px: pick genres, rate well-known movies of them (the list below
takes shape after each rating), find a movie by a misspelt title inside onboarding and rate it too."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import PASSWORD, screenshot_path, stars_label

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(params=["page", "phone_page"], ids=["1280", "375"])
def browser_page(request: pytest.FixtureRequest) -> Page:
    return request.getfixturevalue(request.param)


def test_onboarding_by_genre_with_search_and_a_live_preview(browser_page: Page, request) -> None:
    """Ticking Comedy turns the movies to rate into comedies (no reload), keyboard included; each rating moves the
    progress and refreshes the preview of the list; the onboarding search finds "godfater"."""
    from ratings.models import Rating

    page, width = browser_page, request.node.callspec.id
    username = f"taste_{width}"
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Welcome, {username}")
    page.evaluate("window.e2eSamePage = true")

    comedy = page.get_by_role("checkbox", name="Comedy")
    comedy.focus()
    page.keyboard.press("Space")  # a person on a keyboard ticks it the same way
    expect(comedy).to_be_checked()
    cards = page.locator("#onboarding-list .onboarding-card")
    expect(cards.first.locator(".tag", has_text="Comedy")).to_be_visible()
    for card in cards.all():
        expect(card.locator(".tag", has_text="Comedy")).to_have_count(1)

    preview = page.locator("#onboarding-preview")
    before = preview.inner_text()
    for index in range(3):
        cards.nth(index).get_by_role("button", name=stars_label(5), exact=True).click()
        expect(page.locator("#onboarding-progress")).to_contain_text(f"Rated {index + 1} of 10")
    expect(preview).not_to_have_text(before)

    search = page.get_by_role("searchbox", name="Find a movie you have seen")
    search.fill("godfater")
    found = page.locator("#onboarding-search-results .onboarding-card").first
    expect(found.get_by_role("link", name="The Godfather", exact=True)).to_be_visible()
    found.get_by_role("button", name=stars_label(4.5), exact=True).click()
    expect(found.locator(".rating-status")).to_have_text("Your rating: 4.5 / 5")
    expect(page.locator("#onboarding-progress")).to_contain_text("Rated 4 of 10")
    assert page.evaluate("window.e2eSamePage") is True
    assert Rating.objects.filter(user__username=username).count() == 4
    page.screenshot(path=screenshot_path(f"onboarding-{width}"), full_page=True)
