"""Template helpers for the star widget and the mark toggles: the allowed scores, how a score is written, the marks."""

from django import template

from ratings.models import ALLOWED_SCORES, Mark

register = template.Library()


@register.simple_tag
def allowed_scores() -> tuple[float, ...]:
    return ALLOWED_SCORES


@register.filter
def stars(score: float | None) -> str:
    """4.0 -> "4", 3.5 -> "3.5": how people write a number of stars."""
    return "" if score is None else f"{score:g}"


@register.filter
def get_item(mapping: dict, key: object) -> object:
    """``mapping[key]`` or None: templates cannot index a dict with a variable."""
    return mapping.get(key) if mapping else None


@register.simple_tag
def mark_choices() -> list[tuple[str, str]]:
    """The marks a user can put on a movie, (value, label): want to watch, not interested."""
    return Mark.choices
