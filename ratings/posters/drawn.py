"""The poster the site draws for a movie TMDB gave none for: an SVG with its natural title, year and genres, in a
palette chosen by its genres, every text escaped.

Everything is decided by the movie's data and a SHA-256 of it (never ``hash()``, which changes with each process),
so one movie's poster is the same bytes in every worker and after every restart, and its ETag holds.
"""

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 200, 300  # 2:3, the shape of a film poster and of TMDB's images; the templates' <img> say the same
MARGIN = 16
TEXT_WIDTH = WIDTH - 2 * MARGIN
TITLE_SIZES = (34, 30, 27, 24, 21, 19, 17, 15)
TITLE_LINES = 5
ALTERNATE_LINES = 2
GENRES_SHOWN = 3
FONT = "'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', 'Noto Sans CJK JP', sans-serif"
ELLIPSIS = "…"

# The colour each MovieLens genre (ml-100k and ml-latest) lends a poster: warm for action and comedy, dark for noir
# and horror. The most telling genre of a movie leads: GENRE_COLOURS is in that order (Drama, which half of all
# movies have, last), and a genre not listed comes after them, with a colour from its name.
GENRE_COLOURS = {
    "Film-Noir": "#1f2937",
    "Horror": "#7f1d1d",
    "Western": "#92400e",
    "Documentary": "#3f6212",
    "Animation": "#0f766e",
    "Musical": "#be185d",
    "Sci-Fi": "#0e7490",
    "Fantasy": "#6d28d9",
    "War": "#57534e",
    "IMAX": "#0369a1",
    "Mystery": "#3730a3",
    "Crime": "#334155",
    "Thriller": "#134e4a",
    "Children's": "#4d7c0f",
    "Children": "#4d7c0f",
    "Romance": "#be123c",
    "Comedy": "#c2410c",
    "Adventure": "#a16207",
    "Action": "#b91c1c",
    "Drama": "#6b21a8",
}
NO_GENRE_COLOUR = "#3730a3"
# XML 1.0 refuses these characters even escaped; one in a title would make the whole image unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Rough advance widths of a bold sans-serif, in ems, erring wide: a line is cut before it could overflow.
_NARROW = frozenset(" il.,:;'!|\u0131\u00ec\u00ed\u00ee\u00eff") | frozenset('jrt()[]-"\u2018\u2019')
_WIDE = frozenset("mwMWÆŒæœ@%")


@dataclass(frozen=True, slots=True)
class Palette:
    """The poster's colours: a gradient from ``top`` to ``bottom``, and ``glow`` for its motif."""

    top: str
    bottom: str
    glow: str


def poster_palette(genres: Iterable[str]) -> Palette:
    """The palette of a movie with these genres, in any order: the leading genre's colour at the top, the next one's
    (or the first darkened) at the bottom."""
    colours = [_genre_colour(name) for name in _genres_ranked(genres)] or [NO_GENRE_COLOUR]
    top = colours[0]
    bottom = _shade(colours[1], 0.55) if len(colours) > 1 else _shade(top, 0.35)
    return Palette(top=top, bottom=bottom, glow=_tint(top, 0.45))


def poster_svg(*, title: str, alternate: str = "", year: int | None, genres: Iterable[str]) -> str:
    """The SVG of a poster: ``title`` large and wrapped (cut with "…" past five lines), ``alternate`` (the original
    title) below it smaller, the year, and up to three genres."""
    ranked = _genres_ranked(genres)
    palette = poster_palette(ranked)
    seed = hashlib.sha256(f"{title}\x1f{alternate}\x1f{year}".encode()).digest()
    title_size, title_lines = _fitted(_clean(title) or "Untitled", TITLE_SIZES, TITLE_LINES)
    alternate_size = max(11, round(title_size * 0.5))
    alternate_lines = _fitted(_clean(alternate), (alternate_size,), ALTERNATE_LINES)[1] if alternate else []

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">',
        f"<title>{_text(_label(title, alternate, year))}</title>",
        "<defs>",
        '<linearGradient id="bg" x1="0" y1="0" x2="0.35" y2="1">',
        f'<stop offset="0" stop-color="{palette.top}"/><stop offset="1" stop-color="{palette.bottom}"/>',
        "</linearGradient>",
        '<linearGradient id="shade" x1="0" y1="0" x2="0" y2="1">',
        '<stop offset="0.35" stop-color="#000" stop-opacity="0"/>',
        '<stop offset="1" stop-color="#000" stop-opacity="0.6"/>',
        "</linearGradient>",
        "</defs>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#bg)"/>',
        _motif(seed, palette),
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#shade)"/>',
        f'<rect x="6" y="6" width="{WIDTH - 12}" height="{HEIGHT - 12}" fill="none" stroke="#fff" '
        'stroke-opacity="0.18"/>',
    ]
    if ranked:
        genre_line = _truncated(" · ".join(ranked[:GENRES_SHOWN]).upper(), 9, TEXT_WIDTH / 1.1)
        parts.append(
            f'<text x="{MARGIN}" y="{MARGIN + 14}" fill="#fff" fill-opacity="0.85" font-family="{FONT}" '
            f'font-size="9" font-weight="600" letter-spacing="1">{_text(genre_line)}</text>'
        )
    parts.append(_text_block(title_lines, title_size, alternate_lines, alternate_size, year))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _genres_ranked(genres: Iterable[str]) -> list[str]:
    order = {name: rank for rank, name in enumerate(GENRE_COLOURS)}
    return sorted(dict.fromkeys(genres), key=lambda name: (order.get(name, len(order)), name))


def _genre_colour(name: str) -> str:
    if name in GENRE_COLOURS:
        return GENRE_COLOURS[name]
    digest = hashlib.sha256(name.encode()).digest()
    return _hsl(digest[0] / 255 * 360, 0.5, 0.32)


def _motif(seed: bytes, palette: Palette) -> str:
    """One of three quiet shapes behind the title (a sun, rings, light beams), placed by ``seed``: posters of the
    same genres do not look alike."""
    kind = seed[0] % 3
    cx = 30 + seed[1] % 140
    cy = 60 + seed[2] % 110
    radius = 46 + seed[3] % 44
    if kind == 0:
        return (
            f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="{palette.glow}" fill-opacity="0.55"/>'
            f'<circle cx="{cx}" cy="{cy}" r="{radius + 14}" fill="none" stroke="{palette.glow}" stroke-opacity="0.3"/>'
        )
    if kind == 1:
        rings = "".join(
            f'<circle cx="{cx}" cy="{cy}" r="{radius - step * 13}" fill="none" stroke="{palette.glow}" '
            f'stroke-opacity="{0.5 - step * 0.1:.1f}" stroke-width="{6 - step}"/>'
            for step in range(3)
        )
        return rings
    spread = 18 + seed[4] % 30
    beams = "".join(
        f'<polygon points="{cx},-10 {cx + offset - 14},{HEIGHT} {cx + offset + 14},{HEIGHT}" fill="{palette.glow}" '
        f'fill-opacity="{0.28 - abs(offset) / spread * 0.05:.2f}"/>'
        for offset in (-2 * spread, -spread, 0, spread, 2 * spread)
    )
    return beams


def _text_block(
    title_lines: list[str], title_size: int, alternate_lines: list[str], alternate_size: int, year: int | None
) -> str:
    """The title, the alternate title and the year, set from the bottom of the poster up."""
    # (text, size, attributes, the distance from the baseline above: more before a new kind of line)
    rows = [
        (line, title_size, 'font-weight="800"', title_size * (1.0 if index else 0))
        for index, line in enumerate(title_lines)
    ]
    rows += [
        (line, alternate_size, 'font-style="italic" fill-opacity="0.85"', alternate_size * (1.15 if index else 1.5))
        for index, line in enumerate(alternate_lines)
    ]
    if year:
        rows.append((str(year), 12, 'font-weight="600" fill-opacity="0.8" letter-spacing="2"', 22))
    baseline = HEIGHT - MARGIN - 6 - sum(row[3] for row in rows)
    out = []
    for text, size, attributes, above in rows:
        baseline += above
        out.append(
            f'<text x="{MARGIN}" y="{baseline:.0f}" fill="#fff" font-family="{FONT}" font-size="{size}" '
            f"{attributes}>{_text(text)}</text>"
        )
    return "\n".join(out)


def _fitted(text: str, sizes: tuple[int, ...], max_lines: int) -> tuple[int, list[str]]:
    """The largest of ``sizes`` at which ``text`` wraps on whole words into ``max_lines``, and those lines; else
    the smallest size, the words cut where they must, and the last line ended with "…"."""
    for size in sizes:
        lines = _wrapped(text, size, break_words=False)
        if lines is not None and len(lines) <= max_lines:
            return size, lines
    size = sizes[-1]
    lines = _wrapped(text, size, break_words=True) or [text]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _truncated(lines[max_lines - 1] + " " + ELLIPSIS, size, TEXT_WIDTH)]
    return size, lines


def _wrapped(text: str, size: int, *, break_words: bool) -> list[str] | None:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if _width(candidate, size) <= TEXT_WIDTH:
            line = candidate
            continue
        if line:
            lines.append(line)
        if _width(word, size) <= TEXT_WIDTH:
            line = word
        elif not break_words:
            return None
        else:
            *pieces, line = _pieces(word, size)
            lines += pieces
    if line:
        lines.append(line)
    return lines


def _pieces(word: str, size: int) -> list[str]:
    """A word too wide for one line, in pieces that fit, each but the last ending in a hyphen."""
    pieces, piece = [], ""
    for char in word:
        if piece and _width(piece + char + "-", size) > TEXT_WIDTH:
            pieces.append(piece + "-")
            piece = ""
        piece += char
    return [*pieces, piece]


def _truncated(line: str, size: float, width: float) -> str:
    """``line`` if it fits ``width``, else as much of it as fits with "…" after it."""
    if _width(line, size) <= width:
        return line
    while line and _width(line.rstrip() + ELLIPSIS, size) > width:
        line = line[:-1]
    return line.rstrip(" ,;:-·") + ELLIPSIS


def _width(text: str, size: float) -> float:
    return size * sum(_advance(char) for char in text)


def _advance(char: str) -> float:
    if char in _NARROW:
        return 0.34
    if char in _WIDE:
        return 0.95
    if ord(char) > 0x2E80:  # CJK and beyond: full-width glyphs
        return 1.0
    if char.isupper() or char.isdigit():
        return 0.72
    return 0.62


def _label(title: str, alternate: str, year: int | None) -> str:
    label = f"{title} ({alternate})" if alternate else title
    return f"{label}, {year}" if year else label


def _clean(text: str) -> str:
    return " ".join(_NOT_XML.sub("", text).split())


def _text(text: str) -> str:
    """``text`` as SVG character data: no markup survives (< > & are escaped), nor a character XML refuses."""
    return escape(_NOT_XML.sub("", text))


def _hsl(hue: float, saturation: float, lightness: float) -> str:
    chroma = (1 - abs(2 * lightness - 1)) * saturation
    x = chroma * (1 - abs((hue / 60) % 2 - 1))
    m = lightness - chroma / 2
    sector = int(hue // 60) % 6
    red, green, blue = [(chroma, x, 0), (x, chroma, 0), (0, chroma, x), (0, x, chroma), (x, 0, chroma), (chroma, 0, x)][
        sector
    ]
    return _hex(red + m, green + m, blue + m)


def _channels(colour: str) -> tuple[float, float, float]:
    red, green, blue = (int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5))
    return red, green, blue


def _shade(colour: str, amount: float) -> str:
    """``colour`` mixed with black by ``amount`` (0 to 1)."""
    return _hex(*(channel * (1 - amount) for channel in _channels(colour)))


def _tint(colour: str, amount: float) -> str:
    """``colour`` mixed with white by ``amount``."""
    return _hex(*(channel + (1 - channel) * amount for channel in _channels(colour)))


def _hex(red: float, green: float, blue: float) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, channel)) * 255):02x}" for channel in (red, green, blue))
