"""A new visitor, in a real browser: sign up, rate ten movies on the onboarding page, get personal recommendations."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import PASSWORD, Site, movie_pk, screenshot_path, stars_label

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# A visitor with a taste, as a person has one: they score a movie by its genres (the best liked of them), so the
# model has something consistent to learn from.
TASTE = {"Comedy": 5, "Romance": 4.5, "Animation": 4.5, "Drama": 4, "Thriller": 2.5, "Action": 2, "Sci-Fi": 1.5}
ONBOARDING_RATED = 10


def score_by_taste(genres: list[str]) -> float:
    return max((TASTE[genre] for genre in genres if genre in TASTE), default=3)


def test_new_visitor_signs_up_rates_ten_movies_and_gets_recommendations_without_them(
    page: Page, e2e_site: Site
) -> None:
    """Sign up leads to onboarding; ten star clicks (no reload) fill the progress bar; the recommendations that
    follow show a predicted rating and a reason on every card (rated movies named where near), and none of the
    rated movies."""
    from ratings.models import Rating

    page.goto("/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Username").fill("new_visitor")
    page.get_by_label("Email").fill("new_visitor@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    expect(page).to_have_url(re.compile(r"/welcome/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, new_visitor")
    page.evaluate("window.e2eSamePage = true")  # gone if any click below reloads the page
    cards = page.locator(".onboarding-card")
    rated: dict[int, float] = {}
    for index in range(ONBOARDING_RATED):
        card = cards.nth(index)
        score = score_by_taste(card.locator(".tag").all_inner_texts())
        card.get_by_role("button", name=stars_label(score), exact=True).click()
        expect(card.locator(".rating-status")).to_have_text(f"Your rating: {score:g} / 5")
        rated[movie_pk(card.get_by_role("heading").get_by_role("link").get_attribute("href"))] = score
        expect(page.locator("#onboarding-progress")).to_contain_text(f"Rated {index + 1} of 10")
    assert page.evaluate("window.e2eSamePage") is True
    assert dict(Rating.objects.filter(user__username="new_visitor").values_list("movie_id", "score")) == rated

    page.get_by_role("link", name="See your recommendations").click()
    expect(page).to_have_url(f"{e2e_site.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Recommended for you")
    expect(page.locator(".note")).to_have_count(0)  # no "popular movies instead" notice: the list is personal
    recommendations = page.locator(".grid > .card")
    expect(recommendations).to_have_count(20)
    named = 0
    for card in recommendations.all():
        assert movie_pk(card.locator(".card-title a").get_attribute("href")) not in rated
        expect(card.locator(".predicted")).to_have_text(re.compile(r"^For you: [0-5]\.\d ★ stars$"))
        reason = card.locator(".reason")
        expect(reason).to_have_text(
            re.compile(r"^(Because you rated .+ \d(\.5)? stars?|Because you like .+|Widely liked)$")
        )
        # A card names a rated movie only when one is near enough to stand behind; else a genre, or the prior.
        if not reason.inner_text().startswith("Because you rated"):
            continue
        named += 1
        reason_pk = movie_pk(reason.get_by_role("link").get_attribute("href"))
        assert reason_pk in rated
        assert reason.inner_text().endswith(f" {stars_label(rated[reason_pk])}")
    assert named > 0
    page.screenshot(path=screenshot_path("recommendations"))
