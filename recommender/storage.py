"""The model store's file-system backend: FileSystemStorage under MODEL_DIR, following that setting."""

from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.signals import setting_changed
from django.utils.functional import cached_property


class ModelDirStorage(FileSystemStorage):
    """FileSystemStorage at settings.MODEL_DIR, read again when the setting changes (as FileSystemStorage reads
    MEDIA_ROOT): MODEL_DIR stays the one setting that says where the file-system model store is."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        setting_changed.connect(self._model_dir_changed)

    @cached_property
    def base_location(self) -> str:
        return str(settings.MODEL_DIR)

    def _model_dir_changed(self, *, setting: str, **kwargs: Any) -> None:
        if setting == "MODEL_DIR":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)
