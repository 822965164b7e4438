"""A gunicorn config file for tests/movierec_site/test_startup.py: the site's config, and a hook by which, before
each request, the worker writes to the file that WORKER_STATE_FILE names the modules it has imported so far and its
thread pools (threadpoolctl: BLAS and OpenMP libraries loaded, and their thread counts).

Before, not after: the file that a request finds written describes the worker as the previous requests left it, and
it is complete by the time that request's answer arrives.
"""

import json
import os
import sys
from pathlib import Path

exec(Path(__file__).resolve().parents[2].joinpath("movierec_site", "gunicorn.conf.py").read_text())  # noqa: S102


def pre_request(worker: object, req: object) -> None:
    from threadpoolctl import threadpool_info

    state = {"modules": sorted(sys.modules), "threadpools": threadpool_info()}
    Path(os.environ["WORKER_STATE_FILE"]).write_text(json.dumps(state))
