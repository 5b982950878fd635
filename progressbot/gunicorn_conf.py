"""gunicorn settings for the Procfile's ``web`` (``gunicorn -c python:progressbot.gunicorn_conf …``).

- ``post_worker_init``: build the app when a worker starts, so the worker's outbox drainer does at
  once whatever a stopped worker left owed (not only after its first request).
- ``worker_exit``: when gunicorn stops a worker (SIGTERM to the master on a deploy, a restart, a
  scale-down) the worker has already finished its requests in flight; this drains the outbox and the
  work after acknowledgements before the process goes, within ``PROGRESSBOT_SHUTDOWN_TIMEOUT``.
  ``graceful_timeout`` is kept above that, so gunicorn never kills a worker that is still draining.
"""

from __future__ import annotations

import os

# A little more than the drain is allowed (PROGRESSBOT_SHUTDOWN_TIMEOUT, 20 s by default).
graceful_timeout = int(float(os.environ.get("PROGRESSBOT_SHUTDOWN_TIMEOUT") or 20)) + 10


def post_worker_init(worker) -> None:
    from progressbot.wsgi import application

    application.build()


def worker_exit(server, worker) -> None:
    from progressbot.config import Settings
    from progressbot.wsgi import application

    try:
        timeout = Settings.from_env().shutdown_timeout
    except ValueError:
        timeout = 20.0
    finished = application.shutdown(timeout)
    worker.log.info("progressbot: worker stopped%s", "" if finished else " (work left for the next start)")
