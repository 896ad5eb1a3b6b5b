import re

from {{ cookiecutter.project_slug }}.demo_logger import main

LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR)\s+demo\.\w+: .+")


def test_writes_realistic_lines_into_the_directory_and_a_subdirectory(tmp_path):
    main(["--directory", str(tmp_path), "--rate", "1000", "--count", "200"])
    top = (tmp_path / "app.log").read_text().splitlines()
    sub = (tmp_path / "worker" / "jobs.log").read_text().splitlines()
    assert len(top) == len(sub) == 200
    assert all(LINE.fullmatch(line) for line in top + sub)
    text = "\n".join(top)
    assert "\x1b[" in text and '{"event": "request"' in text


def test_rotates_by_size(tmp_path):
    main(["--directory", str(tmp_path), "--rate", "1000", "--count", "300", "--max-bytes", "5000", "--files", "a.log"])
    assert (tmp_path / "a.log.1").exists()
    assert (tmp_path / "a.log").stat().st_size <= 5000
