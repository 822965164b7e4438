"""A gunicorn config file for tests/movierec_site/test_startup.py: before each request, the worker writes the names
of every module it has imported so far to the file that MODULES_FILE names.

Before, not after: a sync worker runs one request at a time, so the file that a request finds written describes the
worker as the previous requests left it, and it is complete by the time that request's answer arrives.
"""

import os
import sys
from pathlib import Path


def pre_request(worker: object, req: object) -> None:
    Path(os.environ["MODULES_FILE"]).write_text("\n".join(sorted(sys.modules)))
