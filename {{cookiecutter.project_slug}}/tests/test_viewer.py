import gzip
import os
import re
from itertools import islice

import pytest
from flask import Flask
from helpers import PREFIX

from {{ cookiecutter.project_slug }}.cursor import fingerprint
from {{ cookiecutter.project_slug }}.viewer import log_viewer_blueprint

pytestmark = pytest.mark.answers  # prefix, auth and baked defaults shape these


def first_chunks(response, count: int) -> str:
    """The first ``count`` chunks of a streamed response, then close it."""
    try:
        return "".join(chunk.decode() for chunk in islice(response.response, count))
    finally:
        response.close()


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok\n"


def test_index_lists_viewable_files_with_links(client):
    response = client.get(f"{PREFIX}/")
    assert response.status_code == 200
    assert f'href="{PREFIX}/view/main.log"' in response.text
    assert f'href="{PREFIX}/view/app/api.log"' in response.text


def test_a_compressed_sibling_is_listed_to_download_not_to_follow(client, log_dir):
    (log_dir / "main.log.1.gz").write_bytes(gzip.compress(b"older\n"))
    page = client.get(f"{PREFIX}/").text
    row = page[page.index("main.log.1.gz") - 300 : page.index("main.log.1.gz") + 400]
    assert 'class="compressed"' in row and f"{PREFIX}/view/main.log.1.gz" not in page
    assert f"{PREFIX}/download/main.log.1.gz" in page


def test_index_of_a_missing_directory_says_so(app, log_dir, tmp_path):
    client = log_viewer_app(tmp_path / "nowhere").test_client()
    response = client.get("/logs/")
    assert response.status_code == 200 and "does not exist" in response.text


def test_index_of_an_empty_directory_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    response = log_viewer_app(tmp_path / "empty").test_client().get("/logs/")
    assert response.status_code == 200 and "No log files" in response.text


def test_viewer_pages(client):
    page = client.get(f"{PREFIX}/view/app/api.log")
    assert page.status_code == 200
    assert f'data-stream="{PREFIX}/stream/app/api.log"' in page.text
    assert f'data-streams="{PREFIX}/streams"' in page.text and 'data-path="app/api.log"' in page.text
    assert "<script>" not in page.text  # script only from static files
    demo = client.get(f"{PREFIX}/view/")
    assert demo.status_code == 200 and f'data-stream="{PREFIX}/stream/"' in demo.text and 'data-path=""' in demo.text


def test_security_headers(client):
    headers = client.get(f"{PREFIX}/").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_stream_headers_and_backlog(client, log_dir):
    response = client.get(f"{PREFIX}/stream/main.log", buffered=False)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    text = first_chunks(response, 2)
    assert text.startswith("retry: ")
    checked = fingerprint(b"first\nsecond\n")
    at = f"{(log_dir / 'main.log').stat().st_ino:x}-d-{checked:x}"
    assert (
        f'data: <div class="l" data-at="{at}~d">first</div>\ndata: <div class="l" data-at="{at}~7">second</div>' in text
    )


@pytest.mark.parametrize(
    ("accept", "plain"),
    [
        ("text/plain", True),
        ("text/plain, text/event-stream;q=0.5", True),
        ("text/event-stream, text/plain", False),
        ("text/html;q=0.9, text/plain;q=0.8", False),
        ("*/*", False),
    ],
)
def test_accept_text_plain_gets_raw_lines(client, log_dir, accept, plain):
    (log_dir / "main.log").write_text("<b>&amp;</b> \x1b[31mred\x1b[0m\n")
    text = first_chunks(client.get(f"{PREFIX}/stream/main.log", headers={"Accept": accept}, buffered=False), 2)
    raw = "data: <b>&amp;</b> \x1b[31mred\x1b[0m\n"
    assert (raw in text) == plain
    assert ('<div class="l" data-at="' in text) != plain
    assert "\nid: " in text  # cursors and resume as in the HTML stream


def test_stream_resumes_from_last_event_id(client, log_dir):
    text = first_chunks(client.get(f"{PREFIX}/stream/main.log", buffered=False), 2)
    cursor = next(line[4:] for line in text.splitlines() if line.startswith("id: "))
    with open(log_dir / "main.log", "a") as fh:
        fh.write("third\n")
    response = client.get(f"{PREFIX}/stream/main.log", headers={"Last-Event-ID": cursor}, buffered=False)
    resumed = first_chunks(response, 2)
    assert '">third</div>' in resumed and "second" not in resumed


@pytest.mark.parametrize(
    ("path", "status"),
    [("missing.log", 404), ("../etc/passwd", 403), ("secret/x.log", 403), ("bad%00name.log", 400), ("app", 403)],
)
def test_stream_refusals(client, log_dir, path, status):
    (log_dir / "secret").mkdir()
    (log_dir / "secret" / "x.log").write_text("x\n")
    assert client.get(f"{PREFIX}/stream/{path}").status_code == status
    assert client.get(f"{PREFIX}/view/{path}").status_code == status
    assert client.get(f"{PREFIX}/download/{path}").status_code == status


def test_malformed_last_event_id_is_a_clear_400(client):
    response = client.get(f"{PREFIX}/stream/main.log", headers={"Last-Event-ID": "<script>"})
    assert response.status_code == 400 and "Last-Event-ID" in response.text


def test_download_serves_the_raw_file(client):
    response = client.get(f"{PREFIX}/download/app/api.log")
    assert response.status_code == 200 and response.data == b"api one\n"
    assert "attachment" in response.headers["Content-Disposition"]


def test_demo_stream(client):
    text = first_chunks(client.get(f"{PREFIX}/stream/", buffered=False), 2)
    assert text.startswith("retry: ") and "id: 1\n" in text and '<div class="l" data-at="1">#1 ' in text


def test_demo_stream_resumes_numbering(client):
    text = first_chunks(client.get(f"{PREFIX}/stream/", headers={"Last-Event-ID": "41"}, buffered=False), 2)
    assert "id: 42\n" in text


def test_stream_cap_answers_503(log_dir, state_dir):
    client = log_viewer_app(log_dir, max_streams=1, state_directory=state_dir).test_client()
    first = client.get("/logs/stream/main.log", buffered=False)
    assert first.status_code == 200
    assert client.get("/logs/stream/main.log").status_code == 503
    first.close()
    second = client.get("/logs/stream/main.log", buffered=False)
    assert second.status_code == 200
    second.close()
    assert os.listdir(state_dir) == []


def test_nothing_is_written_into_the_log_directory(client, log_dir):
    before = sorted(p.relative_to(log_dir) for p in log_dir.rglob("*"))
    first_chunks(client.get(f"{PREFIX}/stream/main.log", buffered=False), 2)
    client.get(f"{PREFIX}/")
    assert sorted(p.relative_to(log_dir) for p in log_dir.rglob("*")) == before


def test_two_blueprints_are_independent(log_dir, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "other.log").write_text("other\n")
    app = Flask(__name__)
    app.register_blueprint(log_viewer_blueprint(log_dir), url_prefix="/a")
    app.register_blueprint(log_viewer_blueprint(other, name="other_viewer"), url_prefix="/b")
    client = app.test_client()
    assert client.get("/a/stream/main.log").status_code == 200
    assert client.get("/a/stream/other.log").status_code == 404
    assert client.get("/b/stream/other.log").status_code == 200
    assert client.get("/b/stream/main.log").status_code == 404
    assert len(app.extensions["log_viewer"]) == 2


def test_unknown_blueprint_option_is_refused(log_dir):
    with pytest.raises(TypeError):
        log_viewer_blueprint(log_dir, colour="blue")


def log_viewer_app(directory, **options) -> Flask:
    app = Flask(__name__)
    app.register_blueprint(log_viewer_blueprint(directory, **options), url_prefix="/logs")
    return app


LINE = re.compile(r'<div class="l" data-at="([0-9a-f~-]+)">(.*?)</div>')


def elements(html: str) -> list[tuple[str, str]]:
    """(data-at, text) of each line element of an answer."""
    return LINE.findall(html)


def test_lines_read_back_by_position(client, log_dir):
    (log_dir / "main.log").write_text("".join(f"line {i}\n" for i in range(1000)) + "being written")
    last = client.get(f"{PREFIX}/lines/main.log?limit=3")
    assert last.status_code == 200 and last.mimetype == "text/html"
    assert [text for _at, text in elements(last.text)] == ["line 997", "line 998", "line 999"]
    assert (last.headers["X-Log-File"], last.headers["X-Log-First"], last.headers["X-Log-Last"]) == (
        "main.log",
        "0",
        "1",
    )
    first_at = elements(last.text)[0][0]
    before = client.get(f"{PREFIX}/lines/main.log", query_string={"before": first_at, "limit": 2})
    assert [text for _at, text in elements(before.text)] == ["line 995", "line 996"]
    start = client.get(f"{PREFIX}/lines/main.log?from=start&limit=2")
    assert [text for _at, text in elements(start.text)] == ["line 0", "line 1"] and start.headers["X-Log-First"] == "1"
    again = client.get(f"{PREFIX}/lines/main.log", query_string={"from": first_at, "limit": 5})
    assert [text for _at, text in elements(again.text)] == ["line 997", "line 998", "line 999"]
    assert again.headers["X-Log-Last"] == "1"


def test_a_streamed_lines_position_opens_that_line(client, log_dir):
    text = first_chunks(client.get(f"{PREFIX}/stream/main.log", buffered=False), 2)
    streamed = dict((line, at) for at, line in elements(text))
    answer = client.get(f"{PREFIX}/lines/main.log", query_string={"from": streamed["second"], "limit": 1})
    assert [line for _at, line in elements(answer.text)] == ["second"]
    answer = client.get(f"{PREFIX}/lines/main.log", query_string={"before": streamed["second"], "limit": 1})
    assert [line for _at, line in elements(answer.text)] == ["first"]


@pytest.mark.parametrize(
    ("query", "status", "sentence"),
    [
        ("before=<script>", 400, "not a line position"),
        ("from=12-zz-1", 400, "not a line position"),
        ("from=99999", 400, "past the end"),
        ("from=1-1-1", 410, "gone"),
        ("limit=0", 400, "limit must be"),
        ("limit=5001", 400, "limit must be"),
        ("limit=ten", 400, "limit must be"),
        ("before=start&from=start", 400, "not both"),
    ],
)
def test_bad_positions_and_limits_get_a_sentence(client, query, status, sentence):
    response = client.get(f"{PREFIX}/lines/main.log?{query}")
    assert response.status_code == status and sentence in response.text


def test_another_files_position_is_refused(client, log_dir):
    at = elements(client.get(f"{PREFIX}/lines/main.log").text)[0][0]
    (log_dir / "other.log").write_text("first\nsecond\n")
    response = client.get(f"{PREFIX}/lines/other.log", query_string={"from": at})
    assert response.status_code == 400 and "main.log" in response.text


def test_a_permalink_after_rotation_reads_the_rotated_file(client, log_dir):
    at = elements(client.get(f"{PREFIX}/lines/main.log").text)[1][0]
    (log_dir / "main.log").rename(log_dir / "main.log.1")
    (log_dir / "main.log").write_text("new first\nnew second\nnew third\n")
    answer = client.get(f"{PREFIX}/lines/main.log", query_string={"from": at})
    assert [line for _at, line in elements(answer.text)] == ["second"]
    assert answer.headers["X-Log-File"] == "main.log.1"
    (log_dir / "main.log.1").unlink()
    gone = client.get(f"{PREFIX}/lines/main.log", query_string={"from": at})
    assert gone.status_code == 410 and "gone" in gone.text


def test_a_permalink_into_a_file_compressed_since_reads_it_unpacked(client, log_dir):
    """logrotate ``compress``: the line is now in main.log.1.gz; it is read back from a plain copy of it."""
    at = elements(client.get(f"{PREFIX}/lines/main.log").text)[1][0]
    packed = gzip.compress((log_dir / "main.log").read_bytes())
    (log_dir / "main.log").rename(log_dir / "main.log.1")
    (log_dir / "main.log.1.gz").write_bytes(packed)
    (log_dir / "main.log.1").unlink()
    (log_dir / "main.log").write_text("new first\nnew second\nnew third\n")
    answer = client.get(f"{PREFIX}/lines/main.log", query_string={"from": at})
    assert [line for _at, line in elements(answer.text)] == ["second"]
    assert answer.headers["X-Log-File"] == "main.log.1.gz"
    back = client.get(f"{PREFIX}/lines/main.log", query_string={"before": elements(answer.text)[0][0]})
    assert [line for _at, line in elements(back.text)] == ["first"]
    assert back.headers["X-Log-File"] == "main.log.1.gz"


def test_the_viewer_opens_at_a_position(client):
    page = client.get(f"{PREFIX}/view/main.log?at=start")
    assert page.status_code == 200 and 'data-at="start"' in page.text
    assert f'data-lines="{PREFIX}/lines/main.log"' in page.text
    refused = client.get(f"{PREFIX}/view/main.log?at=<b>")
    assert refused.status_code == 400 and "not a line position" in refused.text


def test_download_answers_ranges(client, log_dir):
    response = client.get(f"{PREFIX}/download/main.log", headers={"Range": "bytes=6-11"})
    assert response.status_code == 206 and response.data == b"second"
    assert response.headers["Content-Range"] == "bytes 6-11/13"
    assert client.get(f"{PREFIX}/download/main.log", headers={"Range": "bytes=50-60"}).status_code == 416
