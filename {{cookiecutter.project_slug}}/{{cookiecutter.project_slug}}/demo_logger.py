"""Write realistic demo logs: ``python -m {{ cookiecutter.project_slug }}.demo_logger``.

Each file gets a mix a real service writes: Python ``logging`` records at
every level (some ANSI-coloured), JSON lines, logfmt, access-log lines, a
multi-line traceback now and then, some text a browser must not run, and
bursts. Files rotate by size with ``RotatingFileHandler``, so the viewer's
rotation handling shows too.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import time
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path

from .config import load_settings

LEVEL_CHOICES = ("DEBUG", "INFO", "INFO", "INFO", "INFO", "WARNING", "ERROR", "CRITICAL")
COLOURS = {
    "DEBUG": "\x1b[2m",
    "INFO": "\x1b[32m",
    "WARNING": "\x1b[33m",
    "ERROR": "\x1b[1;31m",
    "CRITICAL": "\x1b[1;41m",
}
PATHS = ("/api/orders", "/api/users/42", "/healthz", "/search?q=<script>alert(1)</script>", "/static/app.css")
EVENTS = (
    "cache warmed in {ms} ms",
    "payment {id} authorised",
    "retrying upstream call ({n}/3)",
    "user {id} signed in from 203.0.113.{n}",
    "slow query took {ms} ms: SELECT * FROM orders WHERE id = {id}",
)
TRACEBACK = (
    "Traceback (most recent call last):",
    '  File "/srv/app/orders.py", line {n}4, in charge',
    "    receipt = gateway.charge(order.total)",
    '  File "/srv/app/gateway.py", line 8{n}, in charge',
    '    raise TimeoutError(f"upstream did not answer in {ms} ms")',
    "TimeoutError: upstream did not answer in {ms} ms",
)
BURST_CHANCE = 0.01  # now and then a burst of 50 to 500 records at once


def make_record(rng: random.Random, name: str, now: datetime) -> list[str]:
    """One record as its lines: a ``logging`` line (some coloured, an error sometimes with its
    traceback), a JSON line, a logfmt line or an access-log line."""
    level = rng.choice(LEVEL_CHOICES)
    values = {"ms": rng.randint(2, 900), "id": rng.randint(1000, 9999), "n": rng.randint(1, 3)}
    message = rng.choice(EVENTS).format(**values)
    kind = rng.random()
    if kind < 0.15:
        document = {"time": now.isoformat(timespec="milliseconds"), "level": level.lower(), "logger": name}
        return [json.dumps(document | {"event": "request", "path": rng.choice(PATHS), "ms": values["ms"]})]
    if kind < 0.25:
        stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return [f'time={stamp} level={level} logger={name} msg="{message}" duration_ms={values["ms"]}']
    if kind < 0.4:
        status = rng.choice((200, 200, 200, 201, 304, 404, 429, 500, 503))
        stamp = now.strftime("%d/%b/%Y:%H:%M:%S +0000")
        request = f"GET {rng.choice(PATHS)} HTTP/1.1"
        return [f'203.0.113.{values["n"]} - - [{stamp}] "{request}" {status} {values["ms"] * 10} "-" "curl/8.5"']
    if kind < 0.6:
        message = f"{COLOURS[level]}{message}\x1b[0m"
    stamp = now.strftime("%Y-%m-%d %H:%M:%S,") + f"{now.microsecond // 1000:03d}"
    lines = [f"{stamp} {level:<8} demo.{name}: {message}"]
    if level in ("ERROR", "CRITICAL") and rng.random() < 0.5:
        lines += [line.format(**values) for line in TRACEBACK]
    return lines


def open_logger(name: str, path: Path, max_bytes: int, backups: int) -> logging.Logger:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))  # each record is formatted by make_record
    logger = logging.getLogger(f"demo.{name}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.handlers[:] = [handler]
    return logger


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--directory", type=Path, help="log directory (default: the configured one)")
    parser.add_argument("--rate", type=float, default=5.0, help="records per second per file (default 5)")
    parser.add_argument(
        "--files", nargs="+", default=["app.log", "worker/jobs.log"], help="files to write, relative to the directory"
    )
    parser.add_argument("--max-bytes", type=int, default=1_000_000, help="rotate a file past this size")
    parser.add_argument("--count", type=int, default=0, help="stop after this many records per file (0: run forever)")
    args = parser.parse_args(argv)
    if args.rate <= 0:
        parser.error("--rate must be positive")
    directory = args.directory or load_settings(os.environ, {"auth": "none"}).log_directory
    loggers = [
        (Path(name).stem, open_logger(Path(name).stem, directory / name, args.max_bytes, 3)) for name in args.files
    ]
    rng = random.Random()
    written = 0
    print(f"demo logger: writing {args.rate:g} lines/s to {', '.join(str(directory / f) for f in args.files)}")
    while not args.count or written < args.count:
        burst = rng.randint(50, 500) if rng.random() < BURST_CHANCE else 1
        for _ in range(min(burst, args.count - written) if args.count else burst):
            now = datetime.now(UTC)
            for name, logger in loggers:
                logger.info("\n".join(make_record(rng, name, now)))
            written += 1
        time.sleep(1 / args.rate)


if __name__ == "__main__":
    main()
