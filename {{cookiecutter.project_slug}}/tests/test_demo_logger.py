from {{ cookiecutter.project_slug }}.demo_logger import main
from {{ cookiecutter.project_slug }}.levels import Levels


def test_writes_a_realistic_mix_into_the_directory_and_a_subdirectory(tmp_path):
    main(["--directory", str(tmp_path), "--rate", "10000", "--count", "2000"])
    top = (tmp_path / "app.log").read_text().splitlines()
    sub = (tmp_path / "worker" / "jobs.log").read_text().splitlines()
    assert len(top) >= 2000 and len(sub) >= 2000  # records, some of several lines
    for lines in (top, sub):
        levels = Levels().of(lines)
        assert None not in levels, "every demo line has a level, its own or its record's"
        assert set(levels) == {"debug", "info", "warning", "error", "critical"}
    text = "\n".join(top)
    assert "\x1b[" in text and '"level": "' in text and " level=" in text and '"GET /' in text
    assert "Traceback (most recent call last):" in text and "<script>" in text


def test_rotates_by_size(tmp_path):
    main(["--directory", str(tmp_path), "--rate", "1000", "--count", "300", "--max-bytes", "5000", "--files", "a.log"])
    assert (tmp_path / "a.log.1").exists()
    assert (tmp_path / "a.log").stat().st_size <= 5000
