"""An operator's online comparison of the active version (A) with a ready candidate (B): started, stopped, or ended by
promoting the candidate.

While it runs, ``comparison_serving`` gives its share of signed-in people the interleaved list of both versions;
``comparison_judge`` judges what they did from it. Promoting requires the candidate to have
won (on openings or on likes: the sequential test's verdict, which holds however often the page is looked at).
Activating any version by another way ends the comparison (the registry), and while one runs a retrain's new
version is kept ready rather than activated.
"""

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from recommender.comparison_results import ComparisonResult, comparison_result, decided_record, people_count
from recommender.models import Comparison, ModelVersion
from recommender.services.artifact_cache import artifact_load
from recommender.services.artifacts import ArtifactError
from recommender.services.outcomes import Outcome, OutcomeStatus
from recommender.services.registry import RegistryError, version_activate
from recsys.comparison import Verdict

SHARE_OUT_OF_RANGE = "the share of people must be more than 0% and at most 100%, got {percent:g}%"
NO_ACTIVE_VERSION = "there is no active version to compare with: activate one first"
CANDIDATE_NOT_READY = "v{version} is {status}: only a ready version can be compared with the active one"
ALREADY_RUNNING = "comparison {comparison} is running: stop it or promote its candidate first"
CANDIDATE_UNSERVABLE = "v{version} cannot be served, so it cannot be compared: {error}"
NOT_RUNNING = "comparison {comparison} has ended ({status}): it cannot be {action}"
NO_WIN_YET = (
    "v{version} has not won yet (openings: {clicks}; likes: {likes}): it can be promoted once people prefer it"
    " on openings or likes, with the test's confidence"
)
PROMOTED = "v{version} won comparison {comparison} on {signals} and is now the active version."
STOPPED_NOTE = "stopped by {who} at {people}: {summary}"
PROMOTED_NOTE = "promoted v{version} at {people}: {summary}"


class ComparisonError(Exception):
    """A comparison that cannot be started, stopped or promoted as asked; the message says why."""


def comparison_start(*, candidate: ModelVersion, share: float, started_by: User | None) -> Comparison:
    """Compare ``candidate`` with the active version on ``share`` (0 to 1] of the signed-in people."""
    if not 0.0 < share <= 1.0:
        raise ComparisonError(SHARE_OUT_OF_RANGE.format(percent=share * 100))
    if candidate.status != ModelVersion.Status.READY:
        raise ComparisonError(CANDIDATE_NOT_READY.format(version=candidate.pk, status=candidate.get_status_display()))
    try:
        artifact_load(version=candidate)
    except ArtifactError as error:
        raise ComparisonError(CANDIDATE_UNSERVABLE.format(version=candidate.pk, error=error)) from error
    try:
        with transaction.atomic():
            active = ModelVersion.objects.select_for_update().active().first()
            if active is None:
                raise ComparisonError(NO_ACTIVE_VERSION)
            running = Comparison.objects.running().first()
            if running is not None:
                raise ComparisonError(ALREADY_RUNNING.format(comparison=running.pk))
            return Comparison.objects.create(version_a=active, version_b=candidate, share=share, started_by=started_by)
    except IntegrityError as error:  # another operator started one at the same moment
        running = Comparison.objects.running().first()
        raise ComparisonError(ALREADY_RUNNING.format(comparison=running.pk if running else "?")) from error


def comparison_judge(*, comparison: Comparison) -> ComparisonResult:
    """The comparison's result now, and for a running one the first verdict other than "continue" of each signal
    recorded when it is reached (every reading of the result is one of the test's looks): from then on that
    verdict is the signal's."""
    result = comparison_result(comparison=comparison)
    reached = {
        name: decided_record(signal.summary)
        for name, signal in (("openings", result.clicks), ("likes", result.likes))
        if signal.decided is None and signal.summary.verdict != Verdict.CONTINUE
    }
    if not reached or comparison.status != Comparison.Status.RUNNING:
        return result
    with transaction.atomic():
        current = Comparison.objects.select_for_update().get(pk=comparison.pk)
        # Another reader may have recorded one first: theirs stands.
        current.verdicts = {**reached, **current.verdicts}
        current.save(update_fields=["verdicts"])
    comparison.verdicts = current.verdicts
    return comparison_result(comparison=comparison)


def _running(comparison: Comparison, action: str) -> Comparison:
    current = Comparison.objects.select_for_update().get(pk=comparison.pk)
    if current.status != Comparison.Status.RUNNING:
        raise ComparisonError(
            NOT_RUNNING.format(comparison=current.pk, status=current.get_status_display(), action=action)
        )
    return current


def _summary(result: ComparisonResult) -> str:
    return f"openings {result.clicks_text}; likes {result.likes_text}"


def comparison_stop(*, comparison: Comparison, stopped_by: User | None = None) -> Comparison:
    """End the comparison without promoting: everyone sees the active version's list again."""
    result = comparison_judge(comparison=comparison)
    with transaction.atomic():
        current = _running(comparison, "stopped")
        current.status = Comparison.Status.STOPPED
        current.ended_at = timezone.now()
        who = stopped_by.get_username() if stopped_by is not None else "an operator"
        current.ended_note = STOPPED_NOTE.format(who=who, people=people_count(result.users), summary=_summary(result))
        current.save(update_fields=["status", "ended_at", "ended_note"])
    return current


def comparison_promote(*, comparison: Comparison) -> Outcome:
    """Activate the candidate of a running comparison that it has won, and end the comparison."""
    result = comparison_judge(comparison=comparison)
    candidate = comparison.version_b
    won = [
        name
        for name, summary in (("openings", result.clicks), ("likes", result.likes))
        if summary.verdict == Verdict.B_WINS
    ]
    try:
        with transaction.atomic():
            current = _running(comparison, "promoted")
            if candidate is None:
                raise ComparisonError(CANDIDATE_NOT_READY.format(version="?", status="deleted"))
            if not won:
                raise ComparisonError(
                    NO_WIN_YET.format(version=candidate.pk, clicks=result.clicks_text, likes=result.likes_text)
                )
            current.status = Comparison.Status.PROMOTED
            current.ended_at = timezone.now()
            current.ended_note = PROMOTED_NOTE.format(
                version=candidate.pk, people=people_count(result.users), summary=_summary(result)
            )
            current.save(update_fields=["status", "ended_at", "ended_note"])
            activated = version_activate(version=candidate)
    except (ComparisonError, RegistryError, ArtifactError) as error:
        return Outcome(status=OutcomeStatus.REFUSED, message=str(error), version=candidate)
    message = PROMOTED.format(version=activated.pk, comparison=comparison.pk, signals=" and ".join(won))
    return Outcome(status=OutcomeStatus.ACTIVATED, message=message, version=activated)
