"""An operator, in Chromium, compares the active version with a ready candidate from the Model pages: starts it on
the history page, watches it on its own page while people in it open movies from their interleaved list, and
promotes the candidate once it has won; another comparison is stopped from its page."""

import io
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import (
    DESKTOP,
    PHONE,
    TIMEOUT_MS,
    Site,
    layout_problems,
    log_in,
    member_create,
    screenshot_path,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OPERATOR = "comparison_operator"
MEMBER_RATINGS = {"Toy Story": 4, "Star Wars": 5, "Fargo": 4.5, "Contact": 2, "Scream": 1.5, "Titanic": 3.5}
# Besides the person driven through the browser, people recorded as the recommendations and movie pages record
# them: (how many, the version whose movie each opens, whether each also rates it 4.5). With the browser's person,
# who opens one of the candidate's movies: 23 prefer the candidate on openings, 5 the active version, 2 neither
# (the candidate wins); on likes, 9 against 3 (not clear yet).
RECORDED_PEOPLE = [(13, "b", False), (9, "b", True), (2, "a", False), (3, "a", True), (2, None, False)]
# A signal's interval in the table: two percentages joined by an en dash.
INTERVAL = re.compile(r"^\d+(\.\d)?% \u2013 \d+(\.\d)?%$")  # as Python and JavaScript read it
PEOPLE = 1 + sum(count for count, _, _ in RECORDED_PEOPLE)


@pytest.fixture(scope="module")
def candidate(e2e_site: Site, django_db_blocker: pytest.FixtureRequest) -> Iterator[object]:
    """A second version, trained by the real train command with fewer epochs (so its lists differ) and kept ready
    beside the active one. Afterwards no comparison runs and the first version is active again, as the other
    end-to-end tests expect."""
    from django.core.management import call_command

    from recommender.models import Comparison, ModelVersion
    from recommender.services.comparisons import comparison_stop
    from recommender.services.registry import version_activate

    with django_db_blocker.unblock():
        active = ModelVersion.objects.active().get()
        before = set(ModelVersion.objects.values_list("pk", flat=True))
        call_command("train", "--no-activate", "--force", "--epochs", "2", stdout=io.StringIO(), stderr=io.StringIO())
        (trained,) = ModelVersion.objects.exclude(pk__in=before)
        assert trained.status == ModelVersion.Status.READY
        try:
            yield trained
        finally:
            for running in Comparison.objects.running():
                comparison_stop(comparison=running)
            version_activate(version=active)


@pytest.fixture(scope="module")
def operator(e2e_site: Site, django_db_blocker: pytest.FixtureRequest) -> str:
    """A staff member with the permission to manage model versions (not a superuser)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from tests.e2e.browsing import PASSWORD

    with django_db_blocker.unblock():
        user = get_user_model().objects.create_user(OPERATOR, f"{OPERATOR}@example.com", PASSWORD, is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename="manage_modelversion"))
    return OPERATOR


@pytest.fixture(autouse=True)
def _comparison_seen_at_once(settings: pytest.FixtureRequest) -> None:
    """The live server looks up the running comparison on every request, not every 2 s: a person's page right
    after the operator's click is in the comparison."""
    settings.RECOMMENDER_ACTIVE_CHECK_SECONDS = 0


@pytest.fixture
def member_page(browser: Browser, e2e_site: Site) -> Iterator[Page]:
    """A person's own browser (no cookies shared with the operator's), on a phone."""
    context = browser.new_context(base_url=e2e_site.url, viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def operator_log_in(page: Page) -> None:
    # Straight to the Model pages: the recommendations page would make the operator one of the people compared.
    log_in(page, username=OPERATOR, path="/accounts/login/?next=/insights/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Model versions")


def comparison_start(page: Page, *, candidate_pk: int, active_pk: int) -> object:
    """Pick the candidate and 100% of people on the history page and start; the comparison's page follows."""
    from recommender.models import Comparison

    page.get_by_label("Candidate").select_option(str(candidate_pk))
    page.get_by_label("Share of signed-in people (%)").fill("100")
    page.get_by_role("button", name=f"Compare with v{active_pk}").click()
    comparison = Comparison.objects.running().get()
    expect(page).to_have_url(re.compile(rf"/insights/comparisons/{comparison.pk}/$"))
    return comparison


def member_shown_lists(page: Page, username: str) -> list[object]:
    """A new member signs in and sees their recommendations; the rows recorded for the list they were shown."""
    from feedback.models import Impression

    user = member_create(username=username, ratings=MEMBER_RATINGS)
    log_in(page, username=username)
    expect(page.get_by_role("heading", level=1)).to_have_text("Recommended for you")
    latest = Impression.objects.filter(user=user).latest("shown_at").shown_id
    return list(Impression.objects.filter(shown_id=latest).order_by("position"))


def people_record(comparison: object, *, movie_a: int, movie_b: int) -> None:
    """RECORDED_PEOPLE, each shown one list (the candidate's movie first, then the active version's) and doing
    what the plan says from it, through the services that the pages call."""
    from django.contrib.auth import get_user_model

    from feedback.models import Action, ListKind
    from feedback.services import Teams, follow_up_record, shown_list_record

    versions = {"a": comparison.version_a_id, "b": comparison.version_b_id}
    movies = {"a": movie_a, "b": movie_b}
    teams = Teams(comparison_id=comparison.pk, version_ids=[versions["b"], versions["a"]])
    number = 0
    for count, opens, likes in RECORDED_PEOPLE:
        for _ in range(count):
            number += 1
            user = get_user_model().objects.create_user(f"compared_{comparison.pk}_{number}")
            shown = shown_list_record(
                user=user, kind=ListKind.HOME, movie_ids=[movie_b, movie_a], model_version_id=None, teams=teams
            )
            if opens is not None:
                follow_up_record(user=user, movie_id=movies[opens], shown_list=shown, action=Action.OPENED)
            if likes:
                follow_up_record(user=user, movie_id=movies[opens], shown_list=shown, action=Action.RATED, score=4.5)


def screenshots(page: Page, name: str, *, section: str | None = None) -> None:
    """The page (or from ``section``, a CSS selector, to its end) at 1280 and at 375 px wide, for a person to
    look at; at 375 px nothing may stick out or be out of reach."""
    for width, suffix in ((DESKTOP, ""), (PHONE, "-phone")):
        page.set_viewport_size(width)
        clip = None
        if section is not None:
            top = page.evaluate(f"document.querySelector({section!r}).getBoundingClientRect().top + scrollY")
            height = page.evaluate("document.documentElement.scrollHeight") - top
            clip = {"x": 0, "y": top, "width": width["width"], "height": height}
        page.screenshot(path=screenshot_path(f"{name}{suffix}"), full_page=True, clip=clip)
    assert not (problems := layout_problems(page, width=PHONE["width"])), "\n".join(problems)
    page.set_viewport_size(DESKTOP)


def test_a_comparison_is_started_watched_and_promoted_from_the_model_pages(
    page: Page, member_page: Page, candidate: object, operator: str
) -> None:
    """The history page starts a comparison of the active version with the ready candidate for every signed-in
    person; its page shows nobody and "not clear yet", with Promote disabled. A person's recommendations are then
    one list drafted from both versions, recorded movie by movie under each, and they open one of the
    candidate's movies; with the people who prefer the candidate on openings, the reloaded page says it wins,
    and Promote makes it the active version."""
    from feedback.models import Action, FollowUp, ListKind
    from recommender.models import Comparison, ModelVersion

    active = ModelVersion.objects.active().get()
    operator_log_in(page)
    form = page.locator("form.comparison-start")
    expect(form.get_by_label("Candidate")).to_contain_text(f"v{candidate.pk} ({candidate.algorithm}, RMSE")
    expect(form.get_by_label("Share of signed-in people (%)")).to_have_value("20")
    screenshots(page, "history-comparison-form", section="#comparisons")
    comparison = comparison_start(page, candidate_pk=candidate.pk, active_pk=active.pk)
    expect(page.locator(".messages")).to_contain_text(
        f"Comparison {comparison.pk} started: 100% of signed-in people now see one list drafted from both versions."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Comparison {comparison.pk}: v{active.pk} against v{candidate.pk}"
    )
    expect(page.locator("#comparison-people")).to_have_text("0")
    expect(page.locator("td.verdict")).to_have_text(["not clear yet", "not clear yet"])
    promote = page.get_by_role("button", name=f"Promote v{candidate.pk}")
    expect(promote).to_be_disabled()
    expect(page.locator("#promote-help")).to_contain_text("once people prefer it on openings or likes")

    shown = member_shown_lists(member_page, "compared_member")
    assert {row.kind for row in shown} == {ListKind.INTERLEAVED}
    assert {row.comparison_id for row in shown} == {comparison.pk}
    assert {row.model_version_id for row in shown} == {active.pk, candidate.pk}
    cards = member_page.locator("#recommendations > .card")
    assert cards.evaluate_all("cards => cards.map(c => c.id)") == [f"card-{row.movie_id}" for row in shown]
    movie_b = next(row.movie_id for row in shown if row.model_version_id == candidate.pk)
    movie_a = next(row.movie_id for row in shown if row.model_version_id == active.pk)
    member_page.locator(f"#card-{movie_b} .card-title a").click()
    expect(member_page).to_have_url(re.compile(rf"/movies/{movie_b}/\?shown_list="))
    opened = FollowUp.objects.get(user__username="compared_member", action=Action.OPENED)
    assert (opened.movie_id, opened.model_version_id, opened.comparison_id) == (movie_b, candidate.pk, comparison.pk)

    people_record(comparison, movie_a=movie_a, movie_b=movie_b)
    page.reload()
    expect(page.locator("#comparison-people")).to_have_text(str(PEOPLE))
    openings, likes = page.locator("tr[data-signal='1']"), page.locator("tr[data-signal='2']")
    expect(openings.locator("td")).to_have_text(["23", "5", "2", "82%", INTERVAL, "the candidate wins"])
    expect(likes.locator("td")).to_have_text(["9", "3", "18", "75%", INTERVAL, "not clear yet"])
    expect(page.locator("figcaption")).to_contain_text("23 prefer the candidate, 5 the active version, 2 neither")
    expect(promote).to_be_enabled()
    expect(page.locator("#promote-help")).to_have_count(0)
    screenshots(page, "comparison-result")

    promote.click()
    expect(page.locator(".messages")).to_contain_text(
        f"v{candidate.pk} won comparison {comparison.pk} on openings and is now the active version."
    )
    expect(page.locator("dl.counts")).to_contain_text("Ended: the candidate was promoted")
    expect(page.locator("main").get_by_role("button")).to_have_count(0)  # nothing left to promote or stop
    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.PROMOTED
    assert ModelVersion.objects.active().get() == candidate
    screenshots(page, "comparison-promoted")

    page.get_by_role("link", name="All versions and comparisons").click()
    expect(page.locator("main")).to_contain_text(f"The site serves v{candidate.pk}")
    row = page.locator("#comparisons ~ .table-scroll tbody tr").first
    expect(row.locator("td")).to_have_text(
        [f"v{active.pk}", f"v{candidate.pk}", "100%", re.compile(r"."), "Ended: the candidate was promoted"]
    )
    screenshots(page, "history-comparisons", section="#comparisons")


def test_a_comparison_is_stopped_from_its_page_and_everyone_sees_the_active_list_again(
    page: Page, member_page: Page, candidate: object, operator: str
) -> None:
    """ "Stop the comparison" ends it without promoting: the page says so and offers nothing more, the active
    version stays, and a person who was shown the interleaved list is shown the active version's on reload."""
    from feedback.models import Impression, ListKind
    from recommender.models import Comparison, ModelVersion

    active = ModelVersion.objects.active().get()
    other = ModelVersion.objects.filter(status=ModelVersion.Status.READY).order_by("-pk").first()
    operator_log_in(page)
    comparison = comparison_start(page, candidate_pk=other.pk, active_pk=active.pk)
    shown = member_shown_lists(member_page, "stopped_member")
    assert {row.kind for row in shown} == {ListKind.INTERLEAVED}

    page.get_by_role("button", name="Stop the comparison").click()
    expect(page.locator(".messages")).to_contain_text(
        "The comparison is stopped: everyone sees the active version's list again."
    )
    expect(page.locator("dl.counts")).to_contain_text("Ended: stopped")
    expect(page.locator("dl.counts")).to_contain_text(f"stopped by {OPERATOR} at 1 ")
    expect(page.locator("main").get_by_role("button")).to_have_count(0)
    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.STOPPED
    assert ModelVersion.objects.active().get() == active

    member_page.reload()
    expect(member_page.get_by_role("heading", level=1)).to_have_text("Recommended for you")
    latest = Impression.objects.filter(user__username="stopped_member").latest("shown_at").shown_id
    again = Impression.objects.filter(shown_id=latest)
    assert {(row.kind, row.model_version_id, row.comparison_id) for row in again} == {(ListKind.HOME, active.pk, None)}
