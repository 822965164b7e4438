"""Stored posters: named by what their bytes are, written whole or not at all, and only images a browser shows."""

import pytest

from ratings.posters.files import (
    MAX_POSTER_BYTES,
    NOT_AN_IMAGE,
    PosterFileError,
    image_kind,
    poster_file_path,
    poster_file_write,
)

JPEG = b"\xff\xd8\xff\xe0" + b"j" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 100
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"w" * 100


@pytest.fixture(autouse=True)
def poster_dir(settings: object, tmp_path: object) -> object:
    settings.POSTER_DIR = tmp_path / "posters"
    return settings.POSTER_DIR


@pytest.mark.parametrize(("content", "name"), [(JPEG, "7.jpg"), (PNG, "7.png"), (WEBP, "7.webp")])
def test_a_poster_is_named_by_what_its_bytes_are(poster_dir: object, content: bytes, name: str) -> None:
    """JPEG, PNG and WebP are recognised by their signature, and the file gets that extension."""
    assert poster_file_write(stem="7", content=content) == name
    assert (poster_dir / name).read_bytes() == content
    assert poster_file_path(name) == poster_dir / name


@pytest.mark.parametrize(
    "content", [b"<svg onload='alert(1)'/>", b"<html>", b"GIF89a....", b"", b"RIFF\x00\x00\x00\x00WAVE"]
)
def test_anything_but_those_images_is_refused_and_nothing_is_written(poster_dir: object, content: bytes) -> None:
    """An SVG (which could carry a script), an HTML error page or an empty answer is refused with a reason, and
    leaves no file, not even a temporary one."""
    with pytest.raises(PosterFileError, match=NOT_AN_IMAGE):
        poster_file_write(stem="7", content=content)
    assert image_kind(content) is None
    assert not poster_dir.exists() or list(poster_dir.iterdir()) == []


def test_a_poster_over_the_size_limit_is_refused() -> None:
    """More than MAX_POSTER_BYTES is no poster."""
    with pytest.raises(PosterFileError, match="more than"):
        poster_file_write(stem="7", content=JPEG + b"x" * MAX_POSTER_BYTES)


def test_a_new_poster_replaces_the_old_whole_and_a_refused_one_leaves_it(poster_dir: object) -> None:
    """Writing again replaces the file in one rename (no temporary file is left); a refused write leaves the
    poster that was there untouched."""
    poster_file_write(stem="7", content=JPEG)
    newer = JPEG + b"newer"
    poster_file_write(stem="7", content=newer)
    with pytest.raises(PosterFileError):
        poster_file_write(stem="7", content=b"<html>503</html>")

    assert [path.name for path in poster_dir.iterdir()] == ["7.jpg"]
    assert (poster_dir / "7.jpg").read_bytes() == newer
