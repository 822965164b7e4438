"""Template helpers for the star widget: the allowed scores and how a score is written."""

from django import template

from ratings.models import ALLOWED_SCORES

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
