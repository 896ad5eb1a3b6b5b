"""gunicorn settings for long-lived event streams: ``gunicorn -c gunicorn.conf.py``.

The server's own settings (LOG_VIEWER_BIND, LOG_VIEWER_WORKERS,
LOG_VIEWER_LOG_LEVEL) are declared with the app's in ``config.Settings`` and
read here with them: a bad or misspelt LOG_VIEWER_* variable, or basic auth
without a password, stops the start with one sentence. No ``preload_app``:
each worker imports the app after gevent has patched it.
"""

import os
import resource
import sys
from pathlib import Path

# Run from the project root wherever gunicorn is started, so a relative log
# directory means the same thing everywhere.
chdir = str(Path(__file__).resolve().parent)
sys.path.insert(0, chdir)
os.chdir(chdir)


def _load():
    from {{ cookiecutter.project_slug }}.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as error:
        sys.exit(f"Refusing to start: {error}")


_service = _load()

wsgi_app = "{{ cookiecutter.project_slug }}:create_app()"

# Cooperative workers: one greenlet per open stream, thousands per worker.
worker_class = "gevent"
workers = _service.workers
bind = [_service.bind]

# Each viewer holds a connection (and the log file open): room for 10,000 viewers
# over a few workers. The app answers 503 past LOG_VIEWER_MAX_STREAMS per worker.
worker_connections = 5000

# A gevent worker heartbeats from its own greenlet, so a long stream does not
# count as a hung request; 30 s catches a worker whose hub is really stuck.
timeout = 30

# On shutdown the streams end at once (see post_worker_init) and browsers resume
# on another worker with their cursor, so nothing needs long to finish.
graceful_timeout = 5

# Keep-alive between event streams and page loads.
keepalive = 5

# Access log to stdout, errors to stderr: the container runtime collects both.
accesslog = "-"
errorlog = "-"
loglevel = _service.log_level

# gunicorn 27's control socket lives in $HOME, which a read-only container lacks.
control_socket_disable = True

# Every stream holds a socket and a file descriptor: lift the soft limit.
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if _hard == resource.RLIM_INFINITY or _soft < _hard:
    resource.setrlimit(resource.RLIMIT_NOFILE, (_hard if _hard != resource.RLIM_INFINITY else 65536, _hard))


def post_worker_init(worker):
    """End open streams promptly when this worker stops (SIGTERM, SIGINT, max_requests)."""
    import gevent

    from {{ cookiecutter.project_slug }}.services import end_streams

    def watch():
        # Once a second: streams end within a second of a stop (well inside graceful_timeout), and an idle
        # worker wakes little (at four times a second, these wakes alone cost four idle workers 0.3% of a core).
        while worker.alive:
            gevent.sleep(1.0)
        # gunicorn reads keepalive before each wait for a next request: with 0 the
        # connections of the ended streams close at once instead of idling 5 s.
        worker.cfg.set("keepalive", 0)
        end_streams(worker.wsgi)

    gevent.spawn(watch)
    worker.log.info("Worker %s ready for streams", worker.pid)
