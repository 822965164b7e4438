"""Mark writes: a signed-in user puts a movie on their watchlist or hides it ("not interested"), and undoes it."""

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ratings.models import Mark, Movie, MovieMark

LOGIN_REQUIRED = "Sign in to keep a watchlist or hide movies."
MARK_INVALID = f"A mark is one of: {', '.join(Mark.values)}."


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


def movie_mark_set(*, user: User | AnonymousUser, movie: Movie, mark: object) -> MovieMark:
    """Mark ``movie`` for ``user``; a movie carries one mark, so hiding a watchlisted movie moves it. Marking it
    again as it is keeps the first time."""
    user = _require_user(user)
    clean = mark_clean(mark)
    entry, created = MovieMark.objects.get_or_create(
        user=user, movie=movie, defaults={"mark": clean, "created_at": timezone.now()}
    )
    if not created and entry.mark != clean:
        entry.mark, entry.created_at = clean, timezone.now()
        entry.save(update_fields=["mark", "created_at"])
    return entry


def movie_mark_delete(*, user: User | AnonymousUser, movie: Movie, mark: object) -> bool:
    """Undo ``mark`` on ``movie`` for ``user``; False when the movie did not carry it (another mark stays)."""
    user = _require_user(user)
    deleted, _ = MovieMark.objects.filter(user=user, movie=movie, mark=mark_clean(mark)).delete()
    return deleted > 0
