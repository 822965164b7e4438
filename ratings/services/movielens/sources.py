"""Where MovieLens files come from: a folder or a zip on disk, a download, or the ml-100k copy in the recbole wheel."""

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO
from urllib.parse import urlparse

from django.conf import settings

logger = logging.getLogger(__name__)

GROUPLENS_100K_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
RECBOLE_REQUIREMENT = "recbole==1.2.1"
# Offline, a hung connection would otherwise hold the command for minutes before the wheel fallback.
DOWNLOAD_TIMEOUT_S = 10
PIP_TIMEOUT_S = 600
# Deep enough for the wheel's recbole/dataset_example/ml-100k/, shallow enough not to walk a home folder.
MAX_FOLDER_DEPTH = 3
# A zip is refused before anything is read when it would expand past these: MovieLens text compresses about 5x and
# ml-25m unpacks to 1.2 GB, while a zip bomb expands a thousandfold. Small members are not held to the ratio.
MAX_UNZIPPED_BYTES = 4 * 2**30
MAX_ZIP_RATIO = 100
RATIO_FLOOR_BYTES = 2**20

SOURCE_NOT_FOUND = "{source} does not exist"
SOURCE_NOT_READABLE = "{source} is neither a folder nor a zip file"
DOWNLOAD_FAILED = "could not download {url}: {reason}"
NOT_A_URL = "{url} is not an http(s) URL"
ZIP_TOO_LARGE = "{source}: its files would unpack to {size} bytes, more than the {limit} allowed"
ZIP_RATIO_TOO_HIGH = "{file}: {size} bytes compressed {ratio}-fold, more than the {limit}-fold of any MovieLens file"
FETCH_FAILED = (
    "could not obtain MovieLens 100k: the GroupLens download failed ({grouplens}) "
    "and so did `pip download {requirement}` ({pip})"
)


class MovieLensError(Exception):
    """A MovieLens source that cannot be read or imported; the message names the file, line and reason."""


class SourceFiles:
    """The files of one MovieLens copy, in a folder or a zip (a wheel is a zip), looked up by base name."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self._zip: zipfile.ZipFile | None = None
        if source.is_dir():
            members = _folder_members(source)
        elif source.is_file() and zipfile.is_zipfile(source):
            self._zip = archive = zipfile.ZipFile(source)
            members = [info.filename for info in archive.infolist() if not info.is_dir()]
            self._zip_check(archive)
        elif not source.exists():
            raise MovieLensError(SOURCE_NOT_FOUND.format(source=source))
        else:
            raise MovieLensError(SOURCE_NOT_READABLE.format(source=source))
        # Shallowest first, so that a stray copy deeper down never shadows the top-level file.
        self._by_name: dict[str, str] = {}
        for member in sorted(members, key=lambda name: (name.count("/"), name)):
            self._by_name.setdefault(PurePosixPath(member).name, member)

    def _zip_check(self, archive: zipfile.ZipFile) -> None:
        """Refuse a zip bomb from its directory, before reading: zipfile stops every member at its declared size."""
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if (size := sum(info.file_size for info in infos)) > MAX_UNZIPPED_BYTES:
            self.close()
            raise MovieLensError(ZIP_TOO_LARGE.format(source=self.source, size=size, limit=MAX_UNZIPPED_BYTES))
        for info in infos:
            ratio = info.file_size // max(info.compress_size, 1)
            if info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_ZIP_RATIO:
                self.close()
                file = self.label(info.filename)
                raise MovieLensError(
                    ZIP_RATIO_TOO_HIGH.format(file=file, size=info.file_size, ratio=ratio, limit=MAX_ZIP_RATIO)
                )

    def names(self) -> list[str]:
        return list(self._by_name)

    def find(self, name: str) -> str | None:
        return self._by_name.get(name)

    def label(self, member: str) -> str:
        """How error messages name a file: the source path, then the member path inside it."""
        return f"{self.source}/{member}"

    def open_binary(self, member: str) -> IO[bytes]:
        return open(self.source / member, "rb") if self._zip is None else self._zip.open(member)

    def count_lines(self, member: str) -> int:
        """Cheap line count for a progress bar total."""
        with self.open_binary(member) as stream:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _folder_members(root: Path) -> list[str]:
    members = []
    for folder, subfolders, files in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts)
        if depth >= MAX_FOLDER_DEPTH:
            subfolders.clear()
        members += [Path(folder, name).relative_to(root).as_posix() for name in files]
    return members


def movielens_fetch(*, url: str | None = None, timeout: float = DOWNLOAD_TIMEOUT_S) -> Path:
    """Return a local copy of ``url`` (cached), or with no URL of MovieLens 100k.

    For ml-100k: a cached GroupLens zip or recbole wheel if there is one, else the GroupLens download, else the
    copy inside the recbole wheel from PyPI (``pip download``, never installed).
    """
    cache = Path(settings.DATA_CACHE_DIR)
    if url is not None:
        return _download(url, cache / "downloads" / (Path(urlparse(url).path).name or "download.zip"), timeout)
    grouplens = cache / "ml-100k.zip"
    wheel_dir = cache / RECBOLE_REQUIREMENT.replace("==", "-")
    if grouplens.is_file():
        return grouplens
    if wheels := sorted(wheel_dir.glob("recbole-*.whl")):
        return wheels[0]
    try:
        return _download(GROUPLENS_100K_URL, grouplens, timeout)
    except MovieLensError as grouplens_error:
        logger.warning("%s; falling back to the ml-100k copy in the %s wheel", grouplens_error, RECBOLE_REQUIREMENT)
        try:
            return _pip_download_wheel(wheel_dir)
        except MovieLensError as pip_error:
            raise MovieLensError(
                FETCH_FAILED.format(grouplens=grouplens_error, requirement=RECBOLE_REQUIREMENT, pip=pip_error)
            ) from pip_error


def _download(url: str, target: Path, timeout: float) -> Path:
    if target.is_file():
        return target
    if urlparse(url).scheme not in {"http", "https"}:
        raise MovieLensError(NOT_A_URL.format(url=url))
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so that an interrupted download is never mistaken for a cached copy.
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as part:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
                shutil.copyfileobj(response, part)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            part.close()
            Path(part.name).unlink(missing_ok=True)
            raise MovieLensError(DOWNLOAD_FAILED.format(url=url, reason=getattr(exc, "reason", exc))) from exc
    if not zipfile.is_zipfile(part.name):
        Path(part.name).unlink(missing_ok=True)
        raise MovieLensError(DOWNLOAD_FAILED.format(url=url, reason="not a zip file"))
    os.replace(part.name, target)
    return target


def _pip_download_wheel(wheel_dir: Path) -> Path:
    wheel_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=wheel_dir.parent, prefix=".pip-") as scratch:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        command += ["--disable-pip-version-check", "--quiet", RECBOLE_REQUIREMENT, "-d", scratch]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise MovieLensError(str(exc)) from exc
        wheels = sorted(Path(scratch).glob("recbole-*.whl"))
        if done.returncode != 0 or not wheels:
            raise MovieLensError((done.stderr.strip().splitlines() or ["no wheel downloaded"])[-1])
        wheel_dir.mkdir(exist_ok=True)
        return Path(shutil.move(wheels[0], wheel_dir / wheels[0].name))
