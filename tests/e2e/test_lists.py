"""A member, in a real browser at 1280 and 375 px: rate from the recommendation cards (the list stays put and
offers a refresh), want to watch and not interested with Undo (by mouse and by keyboard), My ratings with edit,
remove, sort and export, a search with a typo, and deleting the account."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import PASSWORD, log_in, member_create, movie_pk, screenshot_path, stars_label

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MEMBER_RATINGS = {"Toy Story": 4, "Star Wars": 5, "Fargo": 4.5, "Contact": 2, "Scream": 1.5, "Titanic": 3.5}
VIEWPORTS = ["page", "phone_page"]


@pytest.fixture(params=VIEWPORTS, ids=["1280", "375"])
def browser_page(request: pytest.FixtureRequest) -> Page:
    """The desktop page, then the phone page."""
    return request.getfixturevalue(request.param)


def member(name: str, page: Page) -> object:
    user = member_create(username=name, ratings=MEMBER_RATINGS)
    log_in(page, username=name)
    expect(page.get_by_role("heading", level=1)).to_have_text("Recommended for you")
    return user


def card_tops(page: Page) -> list[float]:
    return page.locator("#recommendations > .card").evaluate_all("cards => cards.map(c => c.offsetTop)")


def test_rating_from_a_card_keeps_the_list_still_and_offers_a_refresh(browser_page: Page, request) -> None:
    """A star click on a recommendation card saves the rating in place (no reload): the card shows the person's
    stars, no card moves, and a note offers the list of the new taste."""
    from ratings.models import Rating

    page = browser_page
    user = member(f"card_rater_{request.node.callspec.id}", page)
    page.evaluate("window.e2eSamePage = true")
    card = page.locator("#recommendations > .card").nth(1)
    pk = movie_pk(card.locator(".card-title a").get_attribute("href"))
    note = page.locator("[data-refresh-note]")
    expect(note).to_be_hidden()
    tops = card_tops(page)
    card.get_by_role("button", name=stars_label(4), exact=True).click()
    expect(card.locator(".rating-status")).to_have_text("Your rating: 4 / 5")
    expect(note).to_be_visible()
    expect(note).to_contain_text("will follow your new taste")
    assert card_tops(page) == tops, "the cards moved while rating"
    assert page.evaluate("window.e2eSamePage") is True
    assert Rating.objects.get(user=user, movie_id=pk).score == 4.0
    page.screenshot(path=screenshot_path(f"card-rated-{request.node.callspec.id}"))
    note.get_by_role("link", name="Refresh now").click()
    expect(page.locator(f"#card-{pk}")).to_have_count(0)  # rated: gone from the refreshed list


def test_not_interested_and_want_to_watch_leave_the_list_and_undo_brings_them_back(browser_page: Page, request) -> None:
    """Not interested turns the card into a note with Undo (focused); Undo puts the card back (its title focused)
    and removes the mark; the keyboard alone does the same with Want to watch; the marked movie is gone from the
    list after a reload and listed on the watchlist page."""
    from ratings.models import MovieMark

    page = browser_page
    user = member(f"marker_{request.node.callspec.id}", page)
    cards = page.locator("#recommendations > .card")
    first = cards.first
    pk = movie_pk(first.locator(".card-title a").get_attribute("href"))
    title = first.locator(".card-title a").inner_text()
    first.get_by_role("button", name="Not interested").click()
    placeholder = page.locator(f"#card-{pk}")
    expect(placeholder).to_contain_text(f"{title} will not be recommended again")
    undo = placeholder.get_by_role("button", name=re.compile(r"^Undo"))
    expect(undo).to_be_focused()
    assert MovieMark.objects.get(user=user, movie_id=pk).mark == "hidden"
    page.screenshot(path=screenshot_path(f"not-interested-{request.node.callspec.id}"))
    undo.click()
    expect(page.locator(f"#card-{pk} .card-title a")).to_be_focused()
    expect(page.locator(f"#card-{pk} .predicted")).to_contain_text("For you:")
    assert not MovieMark.objects.filter(user=user).exists()

    second = cards.nth(1)
    second_pk = movie_pk(second.locator(".card-title a").get_attribute("href"))
    watch = second.get_by_role("button", name="Want to watch")
    watch.focus()
    expect(watch).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Enter")
    expect(page.locator(f"#card-{second_pk}")).to_contain_text("is on your watchlist")
    assert MovieMark.objects.get(user=user, movie_id=second_pk).mark == "watchlist"
    page.reload()
    expect(page.locator(f"#card-{second_pk}")).to_have_count(0)
    page.goto("/me/watchlist/")
    listed = page.locator(f"#card-{second_pk}")
    expect(listed).to_be_visible()
    pressed = listed.get_by_role("button", name="Want to watch")
    expect(pressed).to_have_attribute("aria-pressed", "true")
    pressed.click()  # off the watchlist, in place
    expect(listed.get_by_role("button", name="Want to watch")).to_have_attribute("aria-pressed", "false")
    assert not MovieMark.objects.filter(user=user).exists()


def test_my_ratings_edit_remove_sort_and_export(browser_page: Page, request) -> None:
    """My ratings lists every rating; a star click changes one in place, Remove empties it in place, the order
    menu re-sorts without a reload, and the CSV export downloads the ratings."""
    from ratings.models import Movie, Rating

    page = browser_page
    user = member(f"my_ratings_{request.node.callspec.id}", page)
    page.get_by_role("link", name="My ratings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My ratings")
    rows = page.locator(".rating-row")
    expect(rows).to_have_count(len(MEMBER_RATINGS))
    page.evaluate("window.e2eSamePage = true")

    fargo = Movie.objects.get(title="Fargo")
    row = page.locator(".rating-row", has=page.locator(f"#rating-{fargo.pk}"))
    row.get_by_role("button", name=stars_label(2.5), exact=True).click()
    expect(row.locator(".rating-status")).to_have_text("Your rating: 2.5 / 5")
    assert Rating.objects.get(user=user, movie=fargo).score == 2.5
    row.get_by_role("button", name="Remove my rating").click()
    expect(row.locator(".rating-status")).to_have_text("Not rated yet")
    assert not Rating.objects.filter(user=user, movie=fargo).exists()

    page.get_by_label("Order").select_option("highest")
    expect(page).to_have_url(re.compile(r"order=highest"))
    expect(rows.first.locator(".card-title")).to_have_text("Star Wars")
    assert page.evaluate("window.e2eSamePage") is True
    page.screenshot(path=screenshot_path(f"my-ratings-{request.node.callspec.id}"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = open(download.value.path(), encoding="utf-8").read()  # noqa: SIM115 (a temporary file of Playwright's)
    assert text.startswith("list,movie_id,movielens_id,title,year,rating,date")
    assert "ratings," in text and "Star Wars" in text and "Fargo" not in text


def test_a_typo_in_the_search_still_finds_the_movie(browser_page: Page, request) -> None:
    """ "godfater" in the top bar's search finds The Godfather and says which spelling it used."""
    page = browser_page
    member(f"typist_{request.node.callspec.id}", page)
    search = page.get_by_role("searchbox", name="Search movies by title")
    search.fill("godfater")
    search.press("Enter")
    expect(page.locator(".did-you-mean")).to_contain_text("Showing titles like “godfather”")
    expect(page.locator("#movie-results").get_by_role("link", name="The Godfather", exact=True)).to_be_visible()


def test_deleting_the_account_asks_for_the_password(browser_page: Page, request) -> None:
    """From Your data, the deletion refuses a wrong password, then with the right one and the box ticked logs out,
    says so, and the account and its ratings are gone."""
    from django.contrib.auth import get_user_model

    from ratings.models import Rating

    page = browser_page
    name = f"leaver_{request.node.callspec.id}"
    user = member(name, page)
    page.goto("/accounts/data/")
    page.get_by_role("link", name="Delete my account…").click()
    page.get_by_label("Your password").fill("not the password")
    page.get_by_label(re.compile(r"^Yes, delete my account")).check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("alert")).to_contain_text("That is not your password")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label(re.compile(r"^Yes, delete my account")).check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("status")).to_contain_text(f"Your account {name} and everything in it are deleted")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()
    assert not get_user_model().objects.filter(username=name).exists()
    assert not Rating.objects.filter(user_id=user.pk).exists()


MY_PAGES = [
    ("my-ratings", "/me/ratings/"),
    ("watchlist", "/me/watchlist/"),
    ("hidden", "/me/hidden/"),
    ("your-data", "/accounts/data/"),
    ("delete-account", "/accounts/delete/"),
    ("search-typo", "/movies/?q=godfater"),
    ("search-genre", "/movies/?q=comedies"),
]


@pytest.mark.parametrize(("name", "address"), MY_PAGES, ids=[page[0] for page in MY_PAGES])
def test_the_new_pages_fit_a_phone(phone_page: Page, name: str, address: str) -> None:
    """At 375 px each new page is no wider than the window, and every control (stars, toggles, filters) can be
    scrolled to, lies inside the viewport and is what a tap reaches; the same controls as at 1280 px."""
    from collections import Counter

    from ratings.models import Mark, Movie
    from ratings.services.marks import movie_mark_set
    from tests.e2e.browsing import DESKTOP, PHONE, displayed_controls, layout_problems

    user = member_create(username=f"phone_lists_{name}", ratings=MEMBER_RATINGS)
    movie_mark_set(user=user, movie=Movie.objects.get(title="Heat"), mark=Mark.WATCHLIST)
    movie_mark_set(user=user, movie=Movie.objects.get(title="Liar Liar"), mark=Mark.HIDDEN)
    log_in(phone_page, username=f"phone_lists_{name}")
    response = phone_page.goto(address)
    assert response is not None and response.ok
    phone_page.set_viewport_size(DESKTOP)
    at_desktop = Counter(displayed_controls(phone_page))
    phone_page.set_viewport_size(PHONE)
    problems = layout_problems(phone_page, width=PHONE["width"])
    missing = at_desktop - Counter(displayed_controls(phone_page))
    problems += [f"{control} is shown at desktop width but not on a phone" for control in missing.elements()]
    assert not problems, "\n".join(problems)


def test_the_movie_page_after_rating_shows_my_stars_and_everyones_new_count(browser_page: Page, request) -> None:
    """Rated in place, the prediction gives way to the person's stars and everyone's panel counts the rating (no
    reload); removed, the prediction is back and the count down again; the watchlist toggle works in place."""
    from ratings.models import Movie, MovieMark

    page = browser_page
    user = member(f"movie_page_{request.node.callspec.id}", page)
    movie = Movie.objects.get(title="Heat")
    count = movie.ratings.count()
    page.goto(f"/movies/{movie.pk}/")
    page.evaluate("window.e2eSamePage = true")
    mine = page.get_by_role("region", name="Your rating")
    everyone = page.locator("#everyone-panel")
    expect(mine.locator(".predicted")).to_be_visible()
    expect(everyone).to_contain_text(f"from {count} ratings")
    mine.get_by_role("button", name=stars_label(4), exact=True).click()
    expect(mine.locator(".rating-status")).to_have_text("Your rating: 4 / 5")
    expect(mine.locator(".predicted")).to_be_hidden()
    expect(everyone).to_contain_text(f"from {count + 1} ratings")
    mine.get_by_role("button", name="Remove my rating").click()
    expect(mine.locator(".predicted")).to_be_visible()
    expect(everyone).to_contain_text(f"from {count} ratings")
    watch = mine.get_by_role("button", name="Want to watch")
    watch.click()
    expect(mine.get_by_role("button", name="Want to watch")).to_have_attribute("aria-pressed", "true")
    expect(mine.get_by_role("button", name="Want to watch")).to_be_focused()
    assert MovieMark.objects.get(user=user, movie=movie).mark == "watchlist"
    assert page.evaluate("window.e2eSamePage") is True
