"""Reading a list's id from a link or a form: a UUID, anything else no id at all (never an error)."""

import uuid

import pytest

from feedback.attribution import SHOWN_LIST_PARAM, shown_list_from, shown_list_parse

LIST_ID = uuid.UUID("3f2b8c1e-9a4d-4c8e-b1f2-0d9e8a7b6c5d")


@pytest.mark.parametrize("spelled", [str(LIST_ID), LIST_ID.hex, str(LIST_ID).upper(), LIST_ID])
def test_a_list_id_is_read_in_its_usual_spellings(spelled: object) -> None:
    """Hyphenated, bare hex, upper case, or already a UUID: the same list."""
    assert shown_list_parse(spelled) == LIST_ID


@pytest.mark.parametrize(
    "value",
    [None, "", "42", "not-a-list", "x" * 10_000, f"urn:uuid:{LIST_ID}", f"{LIST_ID}\x00", ["a"], 42],
)
def test_anything_else_is_no_list(value: object) -> None:
    """Malformed, oversized, hostile or of the wrong type: None, so that the action is simply not attributed."""
    assert shown_list_parse(value) is None


def test_the_id_is_read_from_query_or_form_data_by_its_parameter() -> None:
    """``shown_list`` names the parameter; without it there is no list."""
    assert shown_list_from({SHOWN_LIST_PARAM: str(LIST_ID)}) == LIST_ID
    assert shown_list_from({"shown": str(LIST_ID)}) is None
