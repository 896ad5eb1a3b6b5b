"""A seeded rotation storm through real gunicorn: every viewer gets every line, once, in order (``storm.py``)."""

from __future__ import annotations

import pytest
from storm import KINDS, run_storm

pytestmark = pytest.mark.integration


def test_every_viewer_gets_every_line_once_in_order_through_a_rotation_storm(log_dir, tmp_path):
    storm = run_storm(log_dir, tmp_path / "state", lines=3000, viewers=5, kills=2, seed=20261126)
    print(storm.summary())
    assert set(storm.rotations) == set(KINDS)
    for viewer in storm.viewers:
        assert viewer.error is None
        assert (viewer.lost[:5], viewer.repeated, viewer.out_of_order) == ([], 0, 0), viewer
