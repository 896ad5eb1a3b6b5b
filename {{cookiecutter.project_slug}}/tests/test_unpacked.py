"""Compressed siblings unpacked into the state directory for reading back."""

import gzip
import lzma
import os
from pathlib import Path

import pytest

from {{ cookiecutter.project_slug }}.refused import Refused
from {{ cookiecutter.project_slug }}.unpacked import KEPT, Unpacker


@pytest.fixture
def unpacker(tmp_path):
    (tmp_path / "state").mkdir()
    return Unpacker(lambda: tmp_path / "state")


def test_a_plain_file_is_read_as_it_is(unpacker, tmp_path):
    (tmp_path / "app.log.1").write_text("one\n")
    assert unpacker.plain(str(tmp_path / "app.log.1")) == (str(tmp_path / "app.log.1"), None)


def test_a_compressed_sibling_is_unpacked_once_and_its_positions_name_it(unpacker, tmp_path):
    packed = tmp_path / "app.log.2.xz"
    packed.write_bytes(lzma.compress(b"one\ntwo\n"))
    copy, identity = unpacker.plain(str(packed))
    assert Path(copy).read_bytes() == b"one\ntwo\n" and identity == packed.stat().st_ino
    os.utime(copy, (1, 1))
    assert unpacker.plain(str(packed)) == (copy, identity)  # the same copy, not unpacked again
    assert os.stat(copy).st_mtime > 1  # used: kept longer


def test_only_the_most_recently_used_copies_are_kept(unpacker, tmp_path):
    for number in range(KEPT + 2):
        (tmp_path / f"app.log.{number}.gz").write_bytes(gzip.compress(f"line {number}\n".encode()))
        unpacker.plain(str(tmp_path / f"app.log.{number}.gz"))
    assert len(list((tmp_path / "state").iterdir())) == KEPT


def test_a_corrupt_sibling_is_a_410_that_says_so(unpacker, tmp_path):
    packed = tmp_path / "app.log.1.gz"
    packed.write_bytes(gzip.compress(b"line\n" * 10_000)[:100])
    with pytest.raises(Refused) as refused:
        unpacker.plain(str(packed))
    assert refused.value.status == 410 and "app.log.1.gz cannot be decompressed" in refused.value.message
    assert list((tmp_path / "state").iterdir()) == []  # no partial copy left
