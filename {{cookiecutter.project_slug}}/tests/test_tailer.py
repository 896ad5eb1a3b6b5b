import bz2
import gzip
import logging
import lzma
import os
import shutil
import time
from dataclasses import replace
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest
import zstandard
from helpers import append, make_tailer, numbered_text

from {{ cookiecutter.project_slug }}.cursor import Cursor, fingerprint, positions
from {{ cookiecutter.project_slug }}.family import NotRegularFile, open_log
from {{ cookiecutter.project_slug }}.tailer import Tailer, backlog_start
from {{ cookiecutter.project_slug }}.watcher import look


@pytest.fixture
def log(tmp_path: Path) -> Path:
    (tmp_path / "logs").mkdir()
    return tmp_path / "logs" / "app.log"


@pytest.fixture
def state(tmp_path: Path) -> Path:
    (tmp_path / "state").mkdir()
    return tmp_path / "state"


def cursor_after(log: Path, state: Path, text: str) -> Cursor:
    """The cursor of a viewer that read the log, ``text`` appended to it first, and left."""
    append(log, text)
    tailer = make_tailer(log, state, None)
    read_all(tailer)
    cursor = tailer.cursor()
    tailer.close()
    return cursor


def read_all(tailer: Tailer) -> tuple[list[str], list[str]]:
    """Lines and notices until the tailer has nothing more (as a stream reads: on while ``more``)."""
    lines, notices = [], []
    while True:
        batch = tailer.read()
        if not batch.lines and not batch.notices and not batch.more:
            return lines, notices
        lines += batch.lines
        notices += batch.notices


def test_new_stream_starts_with_the_backlog(log, state):
    append(log, numbered_text(0, 500) + "partial")
    tailer = make_tailer(log, state, None, backlog_lines=100)
    lines, _ = read_all(tailer)
    assert lines == [f"line {i}" for i in range(400, 500)]
    append(log, " end\nnext\n")
    assert read_all(tailer)[0] == ["partial end", "next"]


@pytest.mark.parametrize("count", [0, 1, 3, 10])
def test_backlog_start_counts_complete_lines(tmp_path, count):
    path = tmp_path / "f"
    path.write_bytes(b"a\nbb\n\nccc\ntail")
    with open(path, "rb") as fh:
        start = backlog_start(fh.fileno(), path.stat().st_size, count)
    lines = path.read_bytes()[start:].split(b"\n")[:-1]
    assert lines == [b"a", b"bb", b"", b"ccc"][4 - min(count, 4) :]


def test_backlog_of_a_file_larger_than_a_block(log, state):
    append(log, "".join(f"{i:07d}" + "x" * 1000 + "\n" for i in range(3000)))
    lines, _ = read_all(make_tailer(log, state, None, backlog_lines=1000))
    assert [line[:7] for line in lines] == [f"{i:07d}" for i in range(2000, 3000)]


def test_only_complete_lines_and_invalid_utf8_is_replaced(log, state):
    append(log, b"")
    tailer = make_tailer(log, state, None)
    append(log, b"caf\xc3\xa9 \xff\xfe ok\r\nhalf")
    assert read_all(tailer)[0] == ["café \ufffd\ufffd ok"]
    append(log, b" done\n")
    assert read_all(tailer)[0] == ["half done"]


def test_long_line_is_cut_with_a_marker(log, state):
    append(log, b"")
    tailer = make_tailer(log, state, None, max_line_length=100)
    append(log, "short\n" + "x" * 150 + "\nafter\n")
    lines, _ = read_all(tailer)
    assert lines[0] == "short" and lines[2] == "after"
    assert lines[1].startswith("x" * 100) and "line cut at 100 characters" in lines[1]


def test_huge_line_without_newline_is_cut_then_skipped(log, state):
    append(log, b"")
    tailer = make_tailer(log, state, None, max_line_length=1000)
    append(log, b"y" * 3_000_000)
    lines, _ = read_all(tailer)
    assert len(lines) == 1 and lines[0].startswith("y" * 1000) and "cut" in lines[0]
    append(log, b"y" * 1000 + b"\nnext\n")
    assert read_all(tailer)[0] == ["next"]


def test_cursor_resumes_exactly(log, state):
    append(log, numbered_text(0, 10))
    first = make_tailer(log, state, None)
    assert read_all(first)[0] == [f"line {i}" for i in range(10)]
    append(log, numbered_text(10, 20))
    cursor = first.cursor()
    first.close()
    resumed = make_tailer(log, state, cursor)
    assert read_all(resumed)[0] == [f"line {i}" for i in range(10, 20)]


def test_cursor_after_short_reads_resumes_exactly(log, state):
    """The fingerprint covers the last 64 bytes read, however small the reads were."""
    append(log, numbered_text(0, 20))
    tailer = make_tailer(log, state, None)
    read_all(tailer)
    for i in range(20, 25):
        append(log, f"line {i}\n")
        assert read_all(tailer)[0] == [f"line {i}"]
    cursor = tailer.cursor()
    tailer.close()
    append(log, numbered_text(25, 27))
    assert read_all(make_tailer(log, state, cursor))[0] == ["line 25", "line 26"]


def test_offset_files_live_in_the_state_directory_and_go_away(log, state):
    append(log, numbered_text(0, 3))
    before = set(os.listdir(log.parent))
    tailers = [make_tailer(log, state, None) for _ in range(3)]
    for tailer in tailers:
        read_all(tailer)
    assert len(os.listdir(state)) == 3
    for tailer in tailers:
        tailer.close()
    assert os.listdir(state) == []
    assert set(os.listdir(log.parent)) == before


def test_rename_and_create_with_rotating_file_handler(log, state):
    handler = RotatingFileHandler(log, maxBytes=200, backupCount=5)
    logger = logging.getLogger("test.rotating")
    logger.propagate, logger.handlers[:] = False, [handler]
    logger.warning("start")
    tailer = make_tailer(log, state, None)
    seen, notices = read_all(tailer)
    for i in range(60):
        logger.warning("message %d", i)
        if i % 7 == 0:
            lines, found = read_all(tailer)
            seen += lines
            notices += found
    lines, found = read_all(tailer)
    handler.close()
    assert seen + lines == ["start"] + [f"message {i}" for i in range(60)]
    assert "rotated" in notices + found


def rotate_like_rotating_file_handler(log: Path, backups: int = 5) -> None:
    """Shift app.log.N to app.log.N+1, then app.log to app.log.1 (``doRollover``)."""
    for n in range(backups, 0, -1):
        older = log.with_name(f"{log.name}.{n}")
        if older.exists():
            older.rename(log.with_name(f"{log.name}.{n + 1}"))
    log.rename(log.with_name(f"{log.name}.1"))


@pytest.mark.parametrize("same_times", [False, True], ids=["distinct-mtimes", "equal-mtimes"])
def test_a_storm_of_rotations_between_two_reads_reads_every_file_in_order(log, state, same_times):
    append(log, numbered_text(0, 10))
    tailer = make_tailer(log, state, None)
    assert read_all(tailer)[0] == [f"line {i}" for i in range(10)]
    for hop in range(1, 4):  # three rotations before the tailer looks again
        rotate_like_rotating_file_handler(log)
        append(log, numbered_text(hop * 10, hop * 10 + 10))
    if same_times:  # a coarse clock: only the names tell the order
        for path in log.parent.iterdir():
            os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    lines, notices = read_all(tailer)
    assert lines == [f"line {i}" for i in range(10, 40)]
    assert notices == ["rotated"] * 3


def test_a_storm_with_dated_names_and_a_compressed_copy(log, state):
    append(log, numbered_text(0, 2))
    tailer = make_tailer(log, state, None)
    read_all(tailer)
    for hop, day in enumerate(["20261124", "20261125"], start=1):
        append(log, numbered_text(hop * 2, hop * 2 + 2))
        rotated = log.with_name(f"app.log-{day}")
        log.rename(rotated)
        with gzip.open(log.with_name(f"app.log-{day}.gz"), "wb") as copy:  # a compressed copy repeats it
            copy.write(rotated.read_bytes())
    append(log, numbered_text(6, 8))
    assert read_all(tailer)[0] == [f"line {i}" for i in range(2, 8)]


def test_a_cursor_into_an_older_rotated_file_reads_every_later_one(log, state):
    cursor = cursor_after(log, state, numbered_text(0, 5))
    for hop in range(1, 3):
        rotate_like_rotating_file_handler(log)
        append(log, numbered_text(hop * 5, hop * 5 + 5))
    lines, notices = read_all(make_tailer(log, state, cursor))
    assert lines == [f"line {i}" for i in range(5, 15)]
    assert notices == ["rotated"] * 2


def test_stale_says_whether_a_read_could_find_anything(log, state):
    append(log, numbered_text(0, 2))
    tailer = make_tailer(log, state, None)
    read_all(tailer)
    assert not tailer.stale(look(log))
    append(log, "half")
    assert tailer.stale(look(log))
    read_all(tailer)
    assert tailer.stale(look(log))  # the unfinished line is still there to be read
    append(log, " done\n")
    assert read_all(tailer)[0] == ["half done"]
    assert not tailer.stale(look(log))
    log.rename(log.with_name("app.log.1"))
    assert tailer.stale(look(log))  # the path is gone: a read reports it
    assert read_all(tailer)[1] == ["missing"]
    assert not tailer.stale(look(log))
    append(log, "")
    assert tailer.stale(look(log))  # another file at the path


def test_cursor_into_a_renamed_file_resumes_there_then_follows(log, state):
    cursor = cursor_after(log, state, numbered_text(0, 5))
    append(log, numbered_text(5, 8))
    log.rename(log.with_name("app.log.2026-11-23"))  # TimedRotatingFileHandler's naming
    append(log, numbered_text(8, 10))
    lines, notices = read_all(make_tailer(log, state, cursor))
    assert lines == [f"line {i}" for i in range(5, 10)]
    assert notices == ["rotated"]


def test_cursor_into_a_file_renamed_to_a_name_outside_its_rotation_restarts_with_a_notice(log, state):
    append(log, numbered_text(0, 5))
    tailer = make_tailer(log, state, None)
    read_all(tailer)
    cursor = tailer.cursor()
    append(log, numbered_text(5, 6))
    log.rename(log.with_name("archived-by-hand"))  # not a rotated name: could be any other log
    append(log, numbered_text(6, 7))
    assert read_all(make_tailer(log, state, cursor)) == (["line 6"], ["reset"])


def test_a_cursor_into_a_file_compressed_since_resumes_in_the_gz(log, state):
    """logrotate ``compress`` without ``delaycompress``: app.log.1 is gone, app.log.1.gz holds it."""
    cursor = cursor_after(log, state, numbered_text(0, 5))
    append(log, numbered_text(5, 1000))
    log.with_name("app.log.2.gz").write_bytes(gzip.compress(b"an older rotation\n" * 50))
    with gzip.open(log.with_name("app.log.1.gz"), "wb") as packed:
        packed.write(log.read_bytes())
    log.unlink()
    append(log, numbered_text(1000, 1002))
    lines, notices = read_all(make_tailer(log, state, cursor))
    assert lines == [f"line {i}" for i in range(5, 1002)]
    assert notices == ["rotated"]


def test_from_a_gz_the_stream_goes_on_through_every_later_rotated_file(log, state):
    """A cursor into a file since shifted twice and compressed (``gzip`` keeps its time): .gz, then .1, then the log."""
    cursor = cursor_after(log, state, numbered_text(0, 5))
    append(log, numbered_text(5, 10))
    rotate_like_rotating_file_handler(log)
    append(log, numbered_text(10, 15))
    rotate_like_rotating_file_handler(log)
    append(log, numbered_text(15, 20))
    shifted = log.with_name("app.log.2")
    with gzip.open(log.with_name("app.log.2.gz"), "wb") as packed:
        packed.write(shifted.read_bytes())
    written = shifted.stat()
    os.utime(log.with_name("app.log.2.gz"), ns=(written.st_atime_ns, written.st_mtime_ns))
    shifted.unlink()
    lines, notices = read_all(make_tailer(log, state, cursor))
    assert lines == [f"line {i}" for i in range(5, 20)]
    assert notices == ["rotated"] * 2


COMPRESSORS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress, ".zst": zstandard.compress}


@pytest.mark.parametrize("suffix", COMPRESSORS)
def test_a_viewer_away_reads_every_compressed_sibling_in_the_order_of_their_names(log, state, suffix):
    """logrotate ``compress`` with any ``compresscmd``: app.log.3 and app.log.2 were compressed while it was away.

    Their last writes are all the same: the names alone give the order (higher is older).
    """
    cursor = cursor_after(log, state, numbered_text(0, 5))
    append(log, numbered_text(5, 10))
    for number, lines in ((3, numbered_text(0, 10)), (2, numbered_text(10, 20))):
        log.with_name(f"app.log.{number}{suffix}").write_bytes(COMPRESSORS[suffix](lines.encode()))
    log.unlink()
    log.with_name("app.log.1").write_text(numbered_text(20, 30))
    append(log, numbered_text(30, 32))
    for member in log.parent.iterdir():
        os.utime(member, ns=(0, 10**18))
    lines, notices = read_all(make_tailer(log, state, cursor))
    assert lines == [f"line {i}" for i in range(5, 32)]
    assert notices == ["rotated"] * 3


def test_a_corrupt_compressed_sibling_is_a_notice_and_the_stream_goes_on(log, state):
    """Cut short (a compressor killed mid-way): what it held cannot be read; the next file can."""
    log.with_name("app.log.2.gz").write_bytes(gzip.compress(numbered_text(0, 1000).encode())[:300])
    log.with_name("app.log.1").write_text(numbered_text(1000, 1010))
    append(log, numbered_text(1010, 1012))
    gone = Cursor(inode=10**12, offset=10, fingerprint=1, written=1)  # a file deleted long ago
    lines, notices = read_all(make_tailer(log, state, gone))
    assert notices[0] == "reset" and "corrupt" in notices
    assert lines[-12:] == [f"line {i}" for i in range(1000, 1012)]


def test_a_cursor_whose_file_is_gone_goes_on_with_the_oldest_file_written_since(log, state):
    """``rotate 1``: the cursor's file and the one after it are deleted; the stream says so and starts with
    the oldest file written after the cursor was taken, not the live file's start."""
    cursor = cursor_after(log, state, numbered_text(0, 5))
    assert cursor.written
    log.unlink()
    log.with_name("app.log.1").write_text(numbered_text(20, 30))
    append(log, numbered_text(30, 32))
    cursor = replace(cursor, written=cursor.written - 60_000)  # taken a minute before the files were last written
    quiet = time.time_ns() - 10**10
    for member in log.parent.iterdir():
        os.utime(member, ns=(quiet, quiet))
    lines, notices = read_all(make_tailer(log, state, cursor))
    assert notices[0] == "reset"
    assert lines == [f"line {i}" for i in range(20, 32)]


def test_a_copytruncate_of_the_new_file_before_its_first_read_is_read_from_the_copy(log, state):
    """At offset 0 there are no bytes to check: the stream moved to the new file, and before it read any of it
    the file was copied to app.log.1 and truncated. The copy sits between the file it read and the live one."""
    append(log, numbered_text(0, 5))
    tailer = make_tailer(log, state, None)
    assert read_all(tailer)[0] == [f"line {i}" for i in range(5)]
    log.rename(log.with_name("app.log.1"))
    log.touch()
    assert read_all(tailer) == ([], ["rotated"])  # now at offset 0 of the new file
    append(log, numbered_text(5, 10))
    log.with_name("app.log.1").rename(log.with_name("app.log.2"))
    shutil.copyfile(log, log.with_name("app.log.1"))
    os.truncate(log, 0)
    append(log, numbered_text(10, 12))
    lines, notices = read_all(tailer)
    assert lines == [f"line {i}" for i in range(5, 12)]
    assert notices == ["rotated", "rotated"]


def test_copytruncate_live(log, state):
    append(log, numbered_text(0, 5))
    tailer = make_tailer(log, state, None)
    read_all(tailer)
    append(log, numbered_text(5, 8))  # written before the copy, not yet read
    shutil.copyfile(log, log.with_name("app.log.1"))
    os.truncate(log, 0)
    append(log, numbered_text(8, 10))
    lines, notices = read_all(tailer)
    assert lines == [f"line {i}" for i in range(5, 10)]
    assert notices[0] == "truncated"


def test_copytruncate_then_a_burst_past_the_old_offset_before_the_next_look(log, state):
    append(log, numbered_text(0, 20))
    tailer = make_tailer(log, state, None)
    read_all(tailer)
    append(log, numbered_text(20, 25))  # written before the copy, not yet read
    shutil.copyfile(log, log.with_name("app.log.1"))
    os.truncate(log, 0)
    append(log, numbered_text(100, 160))  # regrows past the old offset: the size looks like growth
    lines, notices = read_all(tailer)
    assert lines == [f"line {i}" for i in [*range(20, 25), *range(100, 160)]]
    assert notices[0] == "truncated"


def test_copytruncate_with_a_cursor(log, state):
    cursor = cursor_after(log, state, numbered_text(0, 5))
    append(log, numbered_text(5, 8))
    shutil.copyfile(log, log.with_name("app.log.1"))
    os.truncate(log, 0)
    append(log, numbered_text(8, 9))
    assert read_all(make_tailer(log, state, cursor))[0] == [f"line {i}" for i in range(5, 9)]


def test_plain_truncation_ignores_a_stale_rotated_file(log, state):
    log.with_name("app.log.1").write_text("stale old rotation that must not be read\n" * 20)
    append(log, numbered_text(0, 5))
    tailer = make_tailer(log, state, None)
    read_all(tailer)
    os.truncate(log, 0)
    append(log, "fresh\n")
    lines, notices = read_all(tailer)
    assert lines == ["fresh"] and notices == ["truncated"]


def test_truncated_and_refilled_past_the_cursor(log, state):
    cursor = cursor_after(log, state, numbered_text(0, 5))
    os.truncate(log, 0)
    append(log, numbered_text(100, 120))
    assert read_all(make_tailer(log, state, cursor))[0] == [f"line {i}" for i in range(100, 120)]


def test_delete_and_recreate(log, state):
    append(log, numbered_text(0, 3))
    tailer = make_tailer(log, state, None)
    read_all(tailer)
    append(log, numbered_text(3, 4))
    log.unlink()
    lines, notices = read_all(tailer)
    assert lines == ["line 3"] and notices == ["missing"]
    assert read_all(tailer) == ([], [])  # "missing" is said once
    append(log, numbered_text(4, 6))
    lines, notices = read_all(tailer)
    assert lines == ["line 4", "line 5"] and notices == ["rotated"]


def test_a_name_turned_into_a_link_outside_is_not_followed(log, state, tmp_path):
    append(log, numbered_text(0, 2))
    outside = tmp_path / "secret.log"
    outside.write_text("secret\n")
    tailer = make_tailer(log, state, None, guard=lambda path: os.path.realpath(path).startswith(str(log.parent)))
    read_all(tailer)
    log.unlink()
    log.symlink_to(outside)
    lines, notices = read_all(tailer)
    assert "secret" not in lines and "refused" in notices


def test_a_long_line_then_a_short_one_then_silence_delivers_both(log, state):
    append(log, b"")
    tailer = make_tailer(log, state, None, max_line_length=1000, batch_bytes=4096)
    append(log, b"y" * 3_000_000 + b"\nshort\n")  # nothing is appended after this
    lines, _ = read_all(tailer)
    assert len(lines) == 2 and "cut" in lines[0] and lines[1] == "short"


def test_a_fifo_taking_the_name_is_refused_without_blocking(log, state):
    append(log, numbered_text(0, 2))
    tailer = make_tailer(log, state, None)
    read_all(tailer)
    log.rename(log.with_name("app.log.1"))
    os.mkfifo(log)  # open() would wait for a writer
    assert read_all(tailer)[1] == ["rotated", "refused"]
    with pytest.raises(NotRegularFile):
        open_log(log)


def test_a_cursor_of_another_file_in_the_directory_restarts_with_a_notice(log, state):
    other = log.with_name("other.log")
    append(other, "other 0\nother 1\n")
    reader = make_tailer(other, state, None)
    read_all(reader)
    foreign = reader.cursor()  # names other.log's inode, a sibling of app.log
    reader.close()
    append(log, numbered_text(0, 40))  # long enough that the foreign offset lies inside it
    lines, notices = read_all(make_tailer(log, state, foreign))
    assert notices == ["reset"]
    assert lines == [f"line {i}" for i in range(40)]


def test_a_renamed_log_is_drained_until_quiet(log, state):
    append(log, numbered_text(0, 5))
    tailer = make_tailer(log, state, None, rotate_wait=0.3)
    read_all(tailer)
    log.rename(log.with_name("app.log.1"))
    append(log, "new\n")
    append(log.with_name("app.log.1"), numbered_text(5, 10))  # the writer has not reopened yet
    assert read_all(tailer) == ([f"line {i}" for i in range(5, 10)], [])
    assert 0 < tailer.wake_in <= 0.3
    quiet_since(log.with_name("app.log.1"), 1.0)  # its writer has since reopened the log
    assert read_all(tailer) == (["new"], ["rotated"])


def test_a_deleted_log_is_left_at_once(log, state):
    """No writer reopens a deleted file by its name: it is not drained for ``rotate_wait``."""
    append(log, numbered_text(0, 5))
    tailer = make_tailer(log, state, None, rotate_wait=30)
    read_all(tailer)
    log.unlink()
    append(log, numbered_text(5, 8))
    assert read_all(tailer) == ([f"line {i}" for i in range(5, 8)], ["rotated"])


def quiet_since(path: Path, seconds: float) -> None:
    """As if nothing had been written to ``path`` for ``seconds`` (a drain waits for that, by its last write)."""
    past = time.time() - seconds
    os.utime(path, (past, past))


def draining(log: Path, state: Path) -> Tailer:
    """A tailer draining app.log.1 (renamed with lines 5 and 6 unread), while the new log has lines 7 to 9."""
    append(log, numbered_text(0, 5))
    tailer = make_tailer(log, state, None, rotate_wait=0.3)
    read_all(tailer)
    append(log, numbered_text(5, 7))
    log.rename(log.with_name("app.log.1"))
    append(log, numbered_text(7, 10))
    assert read_all(tailer) == (["line 5", "line 6"], [])
    assert tailer.wake_in
    return tailer


def test_the_next_file_deleted_while_the_one_before_drains_is_still_read(log, state):
    tailer = draining(log, state)
    log.unlink()  # delete and recreate, within the drain: its lines are held only by the tailer now
    append(log, numbered_text(10, 12))
    assert read_all(tailer) == ([f"line {i}" for i in range(7, 12)], ["rotated", "rotated"])  # at once


def test_every_file_at_the_log_name_while_one_drains_is_held_deleted_or_not(log, state):
    """Two rotations while app.log.1 drains, the second a delete: the files between are still read, in order."""
    tailer = draining(log, state)
    log.with_name("app.log.1").rename(log.with_name("app.log.2"))
    log.rename(log.with_name("app.log.1"))  # lines 7 to 9, as RotatingFileHandler shifts
    append(log, numbered_text(10, 12))
    assert read_all(tailer) == ([], [])  # still draining
    log.unlink()  # delete and recreate
    append(log, numbered_text(12, 14))
    assert read_all(tailer) == ([f"line {i}" for i in range(7, 14)], ["rotated"] * 3)


def test_a_copy_put_in_between_while_draining_is_read_before_the_file_held(log, state):
    tailer = draining(log, state)
    log.with_name("app.log.1").rename(log.with_name("app.log.2"))  # then copytruncate of the new log
    shutil.copyfile(log, log.with_name("app.log.1"))
    os.truncate(log, 0)
    append(log, numbered_text(10, 12))
    for rotated in ("app.log.2", "app.log.1"):  # both rotated files done with by their writers
        quiet_since(log.with_name(rotated), 1.0)
    lines, notices = read_all(tailer)
    assert lines == [f"line {i}" for i in range(7, 12)]
    assert notices == ["rotated", "rotated"]


def test_a_rotated_file_ending_in_an_unterminated_line(log, state):
    """The writer died mid-line, then the log rotated: the half line is shown, then the new file."""
    append(log, numbered_text(0, 10))
    tailer = make_tailer(log, state, None)
    assert read_all(tailer)[0] == [f"line {i}" for i in range(10)]
    append(log, numbered_text(10, 20) + "half a li")
    log.rename(log.with_name("app.log.1"))
    append(log, numbered_text(20, 30))
    lines, notices = read_all(tailer)
    assert lines == [f"line {i}" for i in range(10, 20)] + ["half a li"] + [f"line {i}" for i in range(20, 30)]
    assert notices == ["rotated"]
    append(log, numbered_text(30, 31))
    assert read_all(tailer) == (["line 30"], [])


def test_a_cursor_taken_at_a_rotation_survives_a_copytruncate_of_the_next_file(log, state):
    """The notice's cursor is the end of the old file: resuming there finds the copy of the new one."""
    append(log, numbered_text(0, 5))
    tailer = make_tailer(log, state, None)
    read_all(tailer)
    log.rename(log.with_name("app.log.1"))
    log.touch()
    batch = tailer.read()
    assert (batch.lines, batch.notices) == ([], ["rotated"])
    cursor = batch.cursor  # the event id the viewer keeps
    tailer.close()
    append(log, numbered_text(5, 20))  # the new file's lines, never read by this viewer...
    log.with_name("app.log.1").rename(log.with_name("app.log.2"))
    shutil.copyfile(log, log.with_name("app.log.1"))  # ...then copytruncate
    os.truncate(log, 0)
    append(log, numbered_text(20, 40))  # regrown past where the copy ends
    lines, _ = read_all(make_tailer(log, state, cursor))
    assert lines == [f"line {i}" for i in range(5, 40)]


def test_every_line_knows_where_it_starts(log, state):
    """``data-at`` of each line: its first byte, checked at the batch's anchor, across short reads and cut lines."""
    content = [b"short\r\n", b"\xff\xfe bad utf-8\n", b"L" * 5000 + b"\n", b"after the cut\n", b"\n", b"last\n"]
    append(log, b"".join(content[:3]))
    tailer = make_tailer(log, state, Cursor(log.stat().st_ino, 0, 0), max_line_length=1000, batch_bytes=2048)
    append(log, b"".join(content[3:]))
    seen: list[tuple[str, Cursor]] = []
    while (batch := tailer.read()).lines or batch.more:
        for line, at in zip(batch.lines, positions(batch.anchor, batch.starts) if batch.lines else [], strict=True):
            seen.append((line, Cursor.decode(at)))
    data = log.read_bytes()
    starts = [sum(map(len, content[:i])) for i in range(len(content))]
    assert [cursor.position for _line, cursor in seen] == starts
    for _line, cursor in seen:
        assert cursor.inode == log.stat().st_ino
        assert cursor.fingerprint == fingerprint(data[: cursor.offset])
    assert [line[:13] for line, _ in seen] == ["short", "\ufffd\ufffd bad utf-8", "L" * 13, "after the cut", "", "last"]
