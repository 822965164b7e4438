"""A gunicorn config file for tests/movierec_site/test_logging_processes.py: the site's config, then gunicorn's own
lines in the site's format (movierec_site.logs.gunicorn_logconfig), the line that README's Operating section gives."""

import os
from pathlib import Path

from movierec_site.logs import gunicorn_logconfig

exec(Path(__file__).resolve().parents[2].joinpath("movierec_site", "gunicorn.conf.py").read_text())  # noqa: S102

logconfig_dict = gunicorn_logconfig(log_format=os.environ.get("LOG_FORMAT", "plain"))
