"""gunicorn configs the benches hold against the Procfile's (movierec_site/gunicorn.conf.py); BENCH_GUNICORN picks one.

- ``before``: the web line of the Procfile before issue 15 (``--workers 2 --access-logfile -``, nothing else): sync
  workers, one request at a time each, and every BLAS library at its default thread pool (one thread per core).
- ``blas-default``: the Procfile's config as it is, except that the BLAS libraries keep their default pools.

Either way the BLAS variables are taken out of the environment here, before the workers fork, so that a bench run
from a shell that sets them still measures the default pools.
"""

import os
from pathlib import Path

# bench/common.py's BLAS_VARIABLES, not imported from there: it loads numpy, which must not start in the master.
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
for name in BLAS_VARIABLES:
    os.environ.pop(name, None)

if os.environ["BENCH_GUNICORN"] == "before":
    workers = 2
    worker_class = "sync"
    accesslog = "-"
elif os.environ["BENCH_GUNICORN"] == "blas-default":
    exec(Path(__file__).resolve().parents[1].joinpath("movierec_site", "gunicorn.conf.py").read_text())  # noqa: S102
    raw_env = []
else:
    raise SystemExit(f"BENCH_GUNICORN must be before or blas-default, not {os.environ['BENCH_GUNICORN']!r}")
