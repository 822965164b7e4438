"""The production settings module as a new process reads it: imported afresh, base included, under the environment
a test sets; the modules imported before are put back when the test ends."""

import importlib
import sys
from types import ModuleType

import pytest

PRODUCTION_MODULE = "movierec_site.settings.production"
BASE_MODULE = "movierec_site.settings.base"
# Enough for production to start: a secret key and a mail server.
WORKING_ENV = {
    "SECRET_KEY": "production-" + "".join(map(chr, range(65, 123))),
    "EMAIL_URL": "smtp+tls://mailer:secret@mail.example.com:587",
}


def production_settings_import(monkeypatch: pytest.MonkeyPatch, env: dict[str, str] | None = None) -> ModuleType:
    for name, value in {**WORKING_ENV, **(env or {})}.items():
        monkeypatch.setenv(name, value)
    for name in (PRODUCTION_MODULE, BASE_MODULE):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return importlib.import_module(PRODUCTION_MODULE)
