"""Template filters of the Model section."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def metric(metrics: dict[str, Any] | None, name: str) -> float | None:
    """A metric by a name that templates cannot spell with a dot, such as ``ndcg@10``."""
    return (metrics or {}).get(name)


@register.filter
def percent(share: float | None, digits: int = 0) -> str:
    """0.1234 -> "12%"."""
    return "\N{EN DASH}" if share is None else f"{share * 100:.{int(digits)}f}%"
