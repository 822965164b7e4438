"""Mark writes: a signed-in user puts a movie on their watchlist or hides it ("not interested"), and undoes it."""

import uuid

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from feedback.models import Action
from feedback.services import follow_up_record, follow_up_withdraw
from ratings.models import Mark, Movie, MovieMark

LOGIN_REQUIRED = "Sign in to keep a watchlist or hide movies."
MARK_INVALID = f"A mark is one of: {', '.join(Mark.values)}."
# A mark set from a list shown is that list's follow-up.
MARK_ACTIONS = {Mark.WATCHLIST: Action.WATCHLISTED, Mark.HIDDEN: Action.HIDDEN}


def mark_clean(value: object) -> Mark:
    """The Mark that ``value`` names ("watchlist", "hidden"), or ValidationError(MARK_INVALID)."""
    if isinstance(value, Mark):
        return value
    if isinstance(value, str) and value in Mark.values:
        return Mark(value)
    raise ValidationError(MARK_INVALID, code="invalid")


def _require_user(user: User | AnonymousUser) -> User:
    if not user.is_authenticated:
        raise PermissionDenied(LOGIN_REQUIRED)
    return user


def movie_mark_set(
    *, user: User | AnonymousUser, movie: Movie, mark: object, shown_list: uuid.UUID | None = None
) -> MovieMark:
    """Mark ``movie`` for ``user``; a movie carries one mark, so hiding a watchlisted movie moves it. Marking it
    again as it is keeps the first time. Marked from a list shown to ``user`` (``shown_list``), it is that list's
    follow-up."""
    user = _require_user(user)
    clean = mark_clean(mark)
    entry, created = MovieMark.objects.get_or_create(
        user=user, movie=movie, defaults={"mark": clean, "created_at": timezone.now()}
    )
    if not created and entry.mark != clean:
        entry.mark, entry.created_at = clean, timezone.now()
        entry.save(update_fields=["mark", "created_at"])
    follow_up_record(user=user, movie_id=movie.pk, shown_list=shown_list, action=MARK_ACTIONS[clean])
    return entry


def movie_mark_delete(
    *, user: User | AnonymousUser, movie: Movie, mark: object, shown_list: uuid.UUID | None = None
) -> bool:
    """Undo ``mark`` on ``movie`` for ``user``, and the follow-up it was of ``shown_list`` (Undo on a list's card);
    False when the movie did not carry it (another mark stays)."""
    user = _require_user(user)
    clean = mark_clean(mark)
    deleted, _ = MovieMark.objects.filter(user=user, movie=movie, mark=clean).delete()
    follow_up_withdraw(user=user, movie_id=movie.pk, shown_list=shown_list, action=MARK_ACTIONS[clean])
    return deleted > 0
