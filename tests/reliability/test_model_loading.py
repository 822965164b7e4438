"""The web process never unpickles a model: a serving artifact carrying a pickle is refused even when its SHA-256
matches the registry (a hostile or buggy training run), and its payload never runs."""

import logging
from pathlib import Path

import numpy as np
import pytest

from recommender.services.artifacts import file_sha256
from recommender.services.serving import served_model, serving_reset
from recsys.rating_model import SERVING_ARRAYS

pytestmark = pytest.mark.django_db


class Payload:
    """Unpickling this creates the marker file: proof that a pickle was loaded and could have run anything."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (open, (str(self.marker), "w"))


def test_a_pickled_serving_artifact_is_refused_and_never_runs(served_world, settings, tmp_path, caplog) -> None:
    """The active version's arrays are rewritten with an object array (which numpy stores as a pickle) and the
    registry's SHA-256 updated to match: loading refuses it, the payload does not run, the site falls back."""
    version = served_world.version
    marker = tmp_path / "payload-ran"
    arrays = Path(settings.MODEL_DIR) / version.artifact_dir / SERVING_ARRAYS
    with np.load(arrays, allow_pickle=False) as original:
        contents = {name: original[name] for name in original.files}
    contents["user_ids"] = np.array([Payload(marker)] * len(contents["user_ids"]), dtype=object)
    np.savez(arrays, **contents)
    version.artifact_sha256 = {**version.artifact_sha256, SERVING_ARRAYS: file_sha256(arrays)}
    version.save(update_fields=["artifact_sha256"])
    serving_reset()

    with caplog.at_level(logging.ERROR, logger="recommender.services.serving"):
        assert served_model() is None
    assert not marker.exists(), "the pickle in the artifact was loaded"
    assert "allow_pickle=False" in caplog.text
