"""Template helpers for the star widget and the mark toggles: the star buttons, how a score is written, the marks,
and how a card's links and forms name the list they belong to."""

import functools
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from feedback.attribution import SHOWN_LIST_PARAM
from ratings.models import ALLOWED_SCORES, Mark

register = template.Library()


@register.filter
def stars(score: float | None) -> str:
    """4.0 -> "4", 3.5 -> "3.5": how people write a number of stars."""
    return "" if score is None else f"{score:g}"


@register.simple_tag
def star_buttons(score: float | None) -> SafeString:
    """The rating widget's ten half-star buttons, lit up to ``score`` (None: not rated). They are the same for every
    movie, so each of the eleven states is made once per process: in a template loop they took a third of each
    card's rendering, and a page has twenty cards or more (bench/load.py, issue 15)."""
    return _star_buttons(float(score) if score else None)


@functools.cache
def _star_buttons(score: float | None) -> SafeString:
    # A left half (0.5, 1.5, ...) draws the star's left side, a right half the other; both use one star shape.
    return format_html_join(
        "\n",
        '<button type="submit" name="score" value="{}" class="half {}{}" aria-label="{} star{}"{}>'
        '<svg viewBox="{}" aria-hidden="true" focusable="false"><use href="#star-shape"/></svg></button>',
        (
            (
                stars(value),
                "left" if index % 2 == 0 else "right",
                " on" if score and value <= score else "",
                stars(value),
                "" if value == 1 else "s",
                format_html(' aria-pressed="{}"', "true") if value == score else "",
                "0 0 12 24" if index % 2 == 0 else "12 0 12 24",
            )
            for index, value in enumerate(ALLOWED_SCORES)
        ),
    )


@register.filter
def get_item(mapping: Mapping[Any, object], key: object) -> object:
    """``mapping[key]`` or None: templates cannot index a dict with a variable."""
    return mapping.get(key) if mapping else None


@register.simple_tag
def mark_choices() -> list[tuple[str, str]]:
    """The marks a user can put on a movie, (value, label): want to watch, not interested."""
    return Mark.choices


@register.simple_tag
def movie_url(movie_pk: int, shown_list: uuid.UUID | None = None) -> str:
    """A movie's page; from a list shown (``shown_list``), with the list's id, so that opening it is the list's
    follow-up (feedback.attribution)."""
    url = reverse("movie-detail", args=[movie_pk])
    return f"{url}?{urlencode({SHOWN_LIST_PARAM: shown_list})}" if shown_list else url


@register.simple_tag
def shown_list_field(shown_list: uuid.UUID | None) -> SafeString:
    """The hidden field by which a form names the list it was sent from; nothing outside a list."""
    if not shown_list:
        return SafeString("")
    return format_html('<input type="hidden" name="{}" value="{}">', SHOWN_LIST_PARAM, shown_list)
