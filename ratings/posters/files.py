"""Poster images kept on disk, under settings.POSTER_DIR: recognised by their first bytes, written whole or not at
all, and read back only from inside that folder."""

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

# A TMDB w342 poster is 20 to 60 kB; w780 about 150 kB; "original" a few MB.
MAX_POSTER_BYTES = 10 * 2**20

NOT_AN_IMAGE = "not a JPEG, PNG or WebP image"
TOO_LARGE = "{size} bytes, more than the {limit} a poster may be"


@dataclass(frozen=True, slots=True)
class ImageKind:
    extension: str
    content_type: str


JPEG = ImageKind("jpg", "image/jpeg")
PNG = ImageKind("png", "image/png")
WEBP = ImageKind("webp", "image/webp")
KINDS = {kind.extension: kind for kind in (JPEG, PNG, WEBP)}


class PosterFileError(ValueError):
    """Bytes that are not a poster the site would serve."""


def image_kind(content: bytes) -> ImageKind | None:
    """What image ``content`` is, from its signature, whatever a server said its type was; None when it is none of
    the three kinds a browser shows everywhere (an SVG from outside could carry a script, so it is refused)."""
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    return None


def poster_file_write(*, stem: str, content: bytes) -> str:
    """Write ``content`` as ``<stem>.<extension>`` in POSTER_DIR and return that name. The bytes go to a temporary
    file beside it, flushed to disk, then renamed over the name: a reader, or a run killed halfway, sees the old
    file or the new one, never part of one."""
    if len(content) > MAX_POSTER_BYTES:
        raise PosterFileError(TOO_LARGE.format(size=len(content), limit=MAX_POSTER_BYTES))
    kind = image_kind(content)
    if kind is None:
        raise PosterFileError(NOT_AN_IMAGE)
    folder = Path(settings.POSTER_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{stem}.{kind.extension}"
    with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{stem}.", suffix=".part", delete=False) as part:
        try:
            part.write(content)
            part.flush()
            os.fsync(part.fileno())
        except BaseException:
            part.close()
            Path(part.name).unlink(missing_ok=True)
            raise
    os.replace(part.name, folder / name)
    return name


def poster_file_path(name: str) -> Path | None:
    """The stored poster called ``name``, when it is a plain file directly inside POSTER_DIR with a known
    extension; None otherwise (removed since, or a name that would lead out of the folder)."""
    if not name or Path(name).name != name or name.startswith(".") or Path(name).suffix[1:] not in KINDS:
        return None
    path = Path(settings.POSTER_DIR) / name
    return path if path.is_file() and not path.is_symlink() else None
