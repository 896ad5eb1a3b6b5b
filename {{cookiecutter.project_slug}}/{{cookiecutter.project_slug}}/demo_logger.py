"""Write realistic demo logs: ``python -m {{ cookiecutter.project_slug }}.demo_logger``.

Lines carry timestamps and levels; some are ANSI-coloured, some are JSON, and
some hold text a browser must not run. Files rotate by size with
``RotatingFileHandler``, so the viewer's rotation handling shows too.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import time
from logging.handlers import RotatingFileHandler
from pathlib import Path

from .config import load_settings

LEVELS = (logging.DEBUG, logging.INFO, logging.INFO, logging.INFO, logging.WARNING, logging.ERROR)
COLOURS = {logging.DEBUG: "\x1b[2m", logging.INFO: "\x1b[32m", logging.WARNING: "\x1b[33m", logging.ERROR: "\x1b[1;31m"}
PATHS = ("/api/orders", "/api/users/42", "/healthz", "/search?q=<script>alert(1)</script>", "/static/app.css")
EVENTS = (
    "cache warmed in {ms} ms",
    "payment {id} authorised",
    "retrying upstream call ({n}/3)",
    "user {id} signed in from 203.0.113.{n}",
    "slow query took {ms} ms: SELECT * FROM orders WHERE id = {id}",
)


def make_line(rng: random.Random, level: int) -> str:
    """One log message: plain text, coloured text, or a JSON document."""
    kind = rng.random()
    values = {"ms": rng.randint(2, 900), "id": rng.randint(1000, 9999), "n": rng.randint(1, 3)}
    if kind < 0.2:
        return json.dumps({"event": "request", "path": rng.choice(PATHS), "status": rng.choice((200, 200, 404, 500))})
    message = rng.choice(EVENTS).format(**values)
    if kind < 0.5:
        return f"{COLOURS[level]}{message}\x1b[0m"
    return message


def open_logger(name: str, path: Path, max_bytes: int, backups: int) -> logging.Logger:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    logger = logging.getLogger(f"demo.{name}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.handlers[:] = [handler]
    return logger


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--directory", type=Path, help="log directory (default: the configured one)")
    parser.add_argument("--rate", type=float, default=5.0, help="lines per second per file (default 5)")
    parser.add_argument(
        "--files", nargs="+", default=["app.log", "worker/jobs.log"], help="files to write, relative to the directory"
    )
    parser.add_argument("--max-bytes", type=int, default=1_000_000, help="rotate a file past this size")
    parser.add_argument("--count", type=int, default=0, help="stop after this many lines per file (0: run forever)")
    args = parser.parse_args(argv)
    if args.rate <= 0:
        parser.error("--rate must be positive")
    directory = args.directory or load_settings(os.environ, {"auth": "none"}).log_directory
    loggers = [open_logger(Path(name).stem, directory / name, args.max_bytes, 3) for name in args.files]
    rng = random.Random()
    written = 0
    print(f"demo logger: writing {args.rate:g} lines/s to {', '.join(str(directory / f) for f in args.files)}")
    while not args.count or written < args.count:
        for logger in loggers:
            level = rng.choice(LEVELS)
            logger.log(level, make_line(rng, level))
        written += 1
        time.sleep(1 / args.rate)


if __name__ == "__main__":
    main()
