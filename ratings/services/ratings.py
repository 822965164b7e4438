"""Rating writes: a signed-in user sets, changes or removes a rating of a movie, validated before storing."""

import math
import re
import uuid
from typing import SupportsFloat

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from feedback.models import Action
from feedback.services import follow_up_record, follow_up_withdraw
from ratings.models import ALLOWED_SCORES, MAX_SCORE, MIN_SCORE, Movie, Rating

SCORE_INVALID = f"A rating is a number of stars from {MIN_SCORE:g} to {MAX_SCORE:g}, in half-star steps."
SCORE_MISSING = "Choose a number of stars."
LOGIN_REQUIRED = "Sign in to rate movies."

# The longest spelling of an allowed score is "5.0" or "0.50"; anything much longer is not a score, and refusing
# it early keeps float() from parsing megabytes of digits.
_SCORE_MAX_CHARS = 8
# A score typed or posted as text is plain decimal digits: float() alone would also read "0_4", "4e0", "+4",
# "٤" (an Arabic-Indic four) and "nan".
_SCORE_TEXT = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def score_clean(value: object) -> float:
    """The allowed score that ``value`` spells (``"4"``, ``"3.5"``, ``4.0``), or ValidationError(SCORE_INVALID)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(SCORE_MISSING, code="required")
    if isinstance(value, bool) or (
        isinstance(value, str) and (len(value.strip()) > _SCORE_MAX_CHARS or not _SCORE_TEXT.fullmatch(value.strip()))
    ):
        raise ValidationError(SCORE_INVALID, code="invalid")
    if not isinstance(value, str | SupportsFloat):  # what float() reads
        raise ValidationError(SCORE_INVALID, code="invalid")
    try:
        score = float(value)
    except (TypeError, ValueError):
        raise ValidationError(SCORE_INVALID, code="invalid") from None
    if not math.isfinite(score) or score not in ALLOWED_SCORES:
        raise ValidationError(SCORE_INVALID, code="invalid")
    return score


def _require_user(user: User | AnonymousUser) -> User:
    if not user.is_authenticated:
        raise PermissionDenied(LOGIN_REQUIRED)
    return user


def rating_set(
    *, user: User | AnonymousUser, movie: Movie, score: object, shown_list: uuid.UUID | None = None
) -> Rating:
    """Store ``user``'s rating of ``movie``, replacing an earlier one; the time is now. Given the list it was rated
    from (``shown_list``), the rating counts as that list's follow-up, when the list is one shown to ``user``."""
    user = _require_user(user)
    clean = score_clean(score)
    with transaction.atomic():
        rating, _ = Rating.objects.update_or_create(
            user=user, movie=movie, defaults={"score": clean, "timestamp": timezone.now()}
        )
        follow_up_record(user=user, movie_id=movie.pk, shown_list=shown_list, action=Action.RATED, score=clean)
    return rating


def rating_delete(*, user: User | AnonymousUser, movie: Movie, shown_list: uuid.UUID | None = None) -> bool:
    """Remove ``user``'s rating of ``movie``, and the follow-up it was of ``shown_list``; False when there was
    none."""
    user = _require_user(user)
    deleted, _ = Rating.objects.filter(user=user, movie=movie).delete()
    follow_up_withdraw(user=user, movie_id=movie.pk, shown_list=shown_list, action=Action.RATED)
    return deleted > 0
