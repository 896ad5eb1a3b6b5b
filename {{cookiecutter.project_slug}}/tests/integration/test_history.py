"""History against real gunicorn (four gevent workers) and through the nginx example."""

from __future__ import annotations

import random
import re
from urllib.parse import quote

import pytest
from eventsource import EventSource
from helpers import AUTH, PREFIX, fetch

from {{ cookiecutter.project_slug }}.config import BAKED

pytestmark = [pytest.mark.integration]

LINE = re.compile(r'<div class="l" data-at="([^"]+)">(.*?)</div>')


def test_every_streamed_position_opens_its_line(server):
    log = server.log_dir / "app.log"
    log.write_text("".join(f"line {i}\n" for i in range(300)))
    with EventSource(server.address, f"{PREFIX}/stream/app.log", AUTH) as source:
        streamed: list[tuple[str, str]] = []
        for event in source.events():
            streamed += zip(event.positions, event.lines, strict=True)
            if streamed[-1][1] == "line 299":  # the backlog
                break
        with open(log, "a") as fh:
            fh.write("".join(f"line {i}\n" for i in range(300, 400)))
        for event in source.events():
            streamed += zip(event.positions, event.lines, strict=True)
            if streamed[-1][1] == "line 399":
                break
    assert [text for _at, text in streamed] == [f"line {i}" for i in range(400)]
    for at, text in random.Random(3).sample(streamed, 40):
        answer = fetch(server.address, f"{PREFIX}/lines/app.log?from={quote(at)}&limit=2")
        assert answer.status == 200
        assert LINE.findall(answer.body.decode())[0][1] == text
    before = fetch(server.address, f"{PREFIX}/lines/app.log?before={quote(streamed[350][0])}&limit=200")
    assert [t for _a, t in LINE.findall(before.body.decode())] == [f"line {i}" for i in range(150, 350)]
    before = fetch(server.address, f"{PREFIX}/lines/app.log?before={quote(streamed[100][0])}&limit=200")
    assert [t for _a, t in LINE.findall(before.body.decode())] == [f"line {i}" for i in range(100)]
    assert before.headers["X-Log-First"] == "1"


@pytest.mark.answers
def test_history_and_download_through_nginx_at_the_sub_path(server, nginx):
    log = server.log_dir / "app.log"
    log.write_text("".join(f"line {i}\n" for i in range(1000)))
    answer = fetch(nginx, f"{PREFIX}/lines/app.log?from=start&limit=3")
    assert answer.status == 200 and [t for _a, t in LINE.findall(answer.body.decode())] == [
        "line 0",
        "line 1",
        "line 2",
    ]
    part = fetch(nginx, f"{PREFIX}/download/app.log", {"Range": "bytes=7-12"})
    assert part.status == 206 and part.body == b"line 1" and part.headers["Content-Range"] == "bytes 7-12/8890"
    page = fetch(nginx, f"{PREFIX}/view/app.log?at=start")
    assert page.status == 200 and f'data-lines="{PREFIX}/lines/app.log"'.encode() in page.body
    if BAKED["auth"] == "basic":
        assert fetch(nginx, f"{PREFIX}/lines/app.log", auth=None).status == 401
        assert fetch(nginx, f"{PREFIX}/download/app.log", auth=None).status == 401


def test_several_files_read_back_as_one_in_time_order(server):
    expected = []
    for name in ("nginx.log", "app.log", "worker.log"):
        (server.log_dir / name).write_text("")
    for i in range(600):
        name = ("nginx.log", "app.log", "worker.log")[i * 5 % 3]
        line = f"2026-11-25 03:{i // 60:02d}:{i % 60:02d},000 INFO {name}: request {i}"
        with open(server.log_dir / name, "a") as fh:
            fh.write(line + "\n")
        expected.append((name, line))
    answer = fetch(server.address, f"{PREFIX}/lines?files=nginx.log,app.log,worker.log&limit=1000")
    assert answer.status == 200
    found = re.findall(r'data-file="([^"]+)">(.*?)</div>', answer.body.decode())
    assert found == expected
    middle = fetch(server.address, f"{PREFIX}/lines?files=*.log&from=2026-11-25T03:05:00&limit=3")
    assert [text for _name, text in re.findall(r'data-file="([^"]+)">(.*?)</div>', middle.body.decode())] == [
        line for _name, line in expected[300:303]
    ]
