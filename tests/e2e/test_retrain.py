"""A staff member, in a real browser: retrain from the admin, see the new version once the worker is done, and the
charts of the Model section."""

import re
import subprocess
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import STAFF_USERNAME, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Training ml-100k with the default hyperparameters takes seconds; the worker also starts Python, torch and fastai.
RETRAIN_TIMEOUT_S = 180
METRIC = re.compile(r"^\d+\.\d{4}$")


def test_staff_retrains_from_the_admin_and_sees_the_new_version_and_the_charts(
    page: Page, celery_worker: subprocess.Popen
) -> None:
    """The admin's "Retrain now" on the model versions queues the task; the Celery worker trains a new version;
    the list shows it with its RMSE, MAE and NDCG@10, and the Model section (/insights/) charts it."""
    from recommender.models import ModelVersion

    before = set(ModelVersion.objects.values_list("pk", flat=True))
    log_in(page, username=STAFF_USERNAME, path="/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.get_by_role("link", name="Model versions", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Select model version to view")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(len(before))

    retrain = page.get_by_role("button", name="Retrain now")
    retrain.click()
    expect(page.locator(".messagelist")).to_contain_text("Retrain queued")
    # A person reloads the list until the new version is there and the button is back (the worker is done).
    deadline = time.monotonic() + RETRAIN_TIMEOUT_S
    while rows.count() == len(before) or "Training" in rows.first.inner_text() or not retrain.is_visible():
        assert celery_worker.poll() is None, "the Celery worker has stopped"
        assert time.monotonic() < deadline, f"no new trained version after {RETRAIN_TIMEOUT_S} s"
        page.wait_for_timeout(1000)
        page.reload()

    (new_pk,) = set(ModelVersion.objects.values_list("pk", flat=True)) - before
    newest = rows.first  # newest first
    expect(newest.locator("th")).to_have_text(re.compile(rf"^v{new_pk} \w+$"))  # the version and its algorithm
    expect(newest.locator("td.field-status")).to_have_text(re.compile(r"^(Active|Rejected)$"))
    for column in ("rmse", "mae", "ndcg"):
        expect(newest.locator(f"td.field-{column}")).to_have_text(METRIC)
    version = ModelVersion.objects.get(pk=new_pk)
    assert version.status in {ModelVersion.Status.ACTIVE, ModelVersion.Status.REJECTED}
    assert {"rmse", "mae", "ndcg@10"} <= version.metrics.keys()
    expect(retrain).to_be_enabled()

    page.goto(f"/insights/versions/{new_pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"v{new_pk}")
    charts = page.locator("figure svg")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 3  # training losses, the movie factor map, predicted ratings

    page.get_by_role("link", name="Versions", exact=True).click()
    expect(page).to_have_url(re.compile(r"/insights/$"))
    expect(page.locator("figure svg").first).to_be_visible()
    expect(page.locator("figcaption").first).to_contain_text(f"v{new_pk} RMSE {version.metrics['rmse']:.4f}")
    expect(page.get_by_role("table").get_by_role("link", name=f"v{new_pk}", exact=True)).to_be_visible()
