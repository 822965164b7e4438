"""The drawn poster: well-formed SVG whatever the title holds, the title wrapped or cut to fit, and a palette that
the genres alone decide, the same in every process."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ratings.posters.drawn import ELLIPSIS, GENRE_COLOURS, NO_GENRE_COLOUR, TITLE_LINES, poster_palette, poster_svg

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[3]


def joined(lines: list[str]) -> str:
    """The lines of a title read as one: a word split with a hyphen at a line's end is whole again."""
    out = ""
    for line in lines:
        out += line[:-1] if line.endswith("-") else line + " "
    return out.strip()


def texts(svg: str) -> list[tuple[str, float]]:
    """Each <text> of the poster, top to bottom: (its text, its font size)."""
    root = ET.fromstring(svg)  # noqa: S314 (the site's own drawing)
    return [(element.text or "", float(element.get("font-size"))) for element in root.iter(f"{SVG}text")]


@pytest.mark.parametrize(
    "title",
    [
        '<script>alert("x")</script>',
        "Tom & Jerry <b>bold</b> ]]> <!-- note -->",
        "Quotes \"double\" and 'single' &amp; an entity",
        "Control\x00char\x07acters\x1f",
    ],
)
def test_any_title_gives_well_formed_svg_with_no_markup_of_its_own(title: str) -> None:
    """Markup in a title is text on the poster: the SVG parses, holds no element but the drawing's own (no
    <script>, no <b>), and shows the title's characters as written (those XML refuses dropped)."""
    svg = poster_svg(title=title, year=1999, genres=["Drama"])

    root = ET.fromstring(svg)  # noqa: S314 (the site's own drawing)
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert tags <= {"svg", "title", "defs", "linearGradient", "stop", "rect", "circle", "polygon", "text"}
    shown = joined([text for text, size in texts(svg) if size > 13])
    assert shown == " ".join(title.translate(dict.fromkeys([0, 7, 31])).split())
    assert root.find(f"{SVG}title").text.startswith(title.translate(dict.fromkeys([0, 7, 31])))


def test_a_short_title_is_set_large_on_one_line_with_its_year() -> None:
    """ "Heat" takes the largest size, on one line, the year below it."""
    lines = texts(poster_svg(title="Heat", year=1995, genres=["Action", "Crime"]))
    assert lines[-2:] == [("Heat", 34.0), ("1995", 12.0)]


def test_a_long_title_wraps_on_words_into_a_smaller_size() -> None:
    """A long title is wrapped on whole words, at a smaller size, in at most five lines."""
    title = "Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb"
    lines = [(text, size) for text, size in texts(poster_svg(title=title, year=1963, genres=[])) if size > 13]
    assert 2 <= len(lines) <= TITLE_LINES
    assert " ".join(text for text, _ in lines) == title
    assert all(size < 34 for _, size in lines)


def test_a_title_too_long_for_five_lines_is_cut_with_an_ellipsis() -> None:
    """Past five lines at the smallest size, the fifth line ends in "…" and the rest is left out; a word wider
    than the poster is split with a hyphen rather than overflowing."""
    title = " ".join(["Supercalifragilisticexpialidocious"] + ["word"] * 80)
    lines = [text for text, size in texts(poster_svg(title=title, year=None, genres=[])) if size > 13]
    assert len(lines) == TITLE_LINES
    assert lines[-1].endswith(ELLIPSIS)
    assert lines[0].endswith("-")
    assert max(map(len, lines)) <= 25


def test_the_alternate_title_is_set_smaller_below_the_title() -> None:
    """The original title ("Le Grand bleu") comes after the title, in a smaller italic size."""
    svg = poster_svg(title="The Big Blue", alternate="Le Grand bleu", year=1988, genres=["Drama"])
    lines = texts(svg)[1:]  # after the genres
    assert joined([text for text, _ in lines[:-2]]) == "The Big Blue"
    assert [text for text, _ in lines[-2:]] == ["Le Grand bleu", "1988"]
    assert lines[-2][1] < lines[0][1]
    assert 'font-style="italic">Le Grand bleu' in svg.replace(' fill-opacity="0.85"', "")


def test_the_palette_is_decided_by_the_genres_whatever_their_order() -> None:
    """The same genres in any order give the same palette; the leading genre's colour is at the top (Horror
    leads Comedy); other genres give another palette; no genre gives the site's own colour."""
    assert poster_palette(["Comedy", "Horror"]) == poster_palette(["Horror", "Comedy"])
    assert poster_palette(["Comedy", "Horror"]).top == GENRE_COLOURS["Horror"]
    assert poster_palette(["Comedy"]) != poster_palette(["Horror"])
    assert poster_palette([]).top == NO_GENRE_COLOUR


def test_a_genre_not_known_gets_a_colour_of_its_own_from_its_name() -> None:
    """A genre outside MovieLens's list ("Bollywood") is coloured from its name: the same every time, and not the
    colour of no genre."""
    assert poster_palette(["Bollywood"]) == poster_palette(["Bollywood"])
    assert poster_palette(["Bollywood"]).top not in {*GENRE_COLOURS.values(), NO_GENRE_COLOUR}


def test_the_same_movie_is_drawn_byte_for_byte_the_same_in_another_process() -> None:
    """Two processes with different hash seeds draw the same bytes (an ETag made from them holds across the web
    workers), and another title is drawn differently."""
    code = (
        "from ratings.posters.drawn import poster_svg; import sys; "
        "sys.stdout.write(poster_svg(title=sys.argv[1], year=1995, genres=['Sci-Fi', 'Drama']))"
    )

    def drawn(title: str, seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code, title], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    here = poster_svg(title="Twelve Monkeys", year=1995, genres=["Drama", "Sci-Fi"])
    assert drawn("Twelve Monkeys", "1") == drawn("Twelve Monkeys", "2") == here
    assert drawn("Contact", "1") != here
