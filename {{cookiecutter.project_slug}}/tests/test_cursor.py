import pytest

from {{ cookiecutter.project_slug }}.cursor import Cursor, fingerprint


@pytest.mark.parametrize("cursor", [Cursor(0, 0, 0), Cursor(1234567, 987654321, 0xDEADBEEF), Cursor(2**63, 2**40, 1)])
def test_round_trip(cursor):
    assert Cursor.decode(cursor.encode()) == cursor


MALFORMED = ["", "abc", "1-2-3-\n", "1-2", "1-2-3-4", "-1-2-3", "g-1-1", "1" * 17 + "-1-1", "1 -2-3"]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_cursors_are_refused(text):
    with pytest.raises(ValueError):
        Cursor.decode(text)


def test_fingerprint_covers_only_the_last_bytes():
    assert fingerprint(b"x" * 1000 + b"tail" * 16) == fingerprint(b"y" * 10 + b"tail" * 16)
    assert fingerprint(b"a\n") != fingerprint(b"b\n")
