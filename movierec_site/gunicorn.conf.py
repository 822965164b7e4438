"""gunicorn's configuration for the web process (the Procfile's web line): threads, timeouts, one BLAS thread.

https://docs.gunicorn.org/en/stable/settings.html. GUNICORN_CMD_ARGS overrides any of these (``--threads 16``).
"""

import os

from movierec_site.logs import gunicorn_logconfig

bind = [f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))

# A sync worker serves one connection at a time: a client that sends its request slowly holds the whole worker,
# and two such clients took the site down (issue 15). The threaded worker waits for a request's first bytes in its
# poller, not in a thread, and serves the others on the remaining threads while a slow one dribbles in. That is
# headroom, not a defence: as many slow clients as threads still fill a worker, which is why production puts a
# buffering proxy in front (README, Deployment).
worker_class = "gthread"
threads = 8

# A worker whose main loop is silent this long is killed and replaced; a draining worker gets this long to finish.
timeout = 30
graceful_timeout = 30
# Idle kept-alive connections, and connections that have sent nothing yet, are closed after this many seconds.
keepalive = 5

# One BLAS thread per worker: a recommendations request multiplies small matrices, and a pool of BLAS threads per
# worker spins against the other workers' on a shared CPU (about 8x slower on 2 cores, issue 15). Set before the
# workers fork, so that every BLAS library the application loads later starts with one thread.
raw_env = [f"{name}=1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")]

accesslog = "-"
# gunicorn's own lines (start-up, workers, the access log) in the site's format: one JSON object a line under
# LOG_FORMAT=json, gunicorn's plain text otherwise.
logconfig_dict = gunicorn_logconfig(log_format=os.environ.get("LOG_FORMAT", "plain"))
