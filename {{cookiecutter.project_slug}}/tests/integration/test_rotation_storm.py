"""Seeded rotation storms through real gunicorn: every viewer gets every line, once, in order (``storm.py``).

Our own rotations of every kind, and the real logrotate in the configurations
that lost whole files before compressed siblings were part of the chain.
"""

from __future__ import annotations

import pytest
from logrotate import Config
from storm import KINDS, run_storm

pytestmark = pytest.mark.integration


def test_every_viewer_gets_every_line_once_in_order_through_a_rotation_storm(log_dir, tmp_path):
    storm = run_storm(log_dir, tmp_path / "state", lines=3000, viewers=5, kills=2, seed=20261126)
    print(storm.summary())
    assert set(storm.rotations) == set(KINDS)
    for viewer in storm.viewers:
        assert viewer.error is None
        assert (viewer.lost[:5], viewer.repeated, viewer.out_of_order) == ([], 0, 0), viewer


REAL_STORMS = [
    Config("create", "delaycompress", "numbered", 7),
    Config("create", "compress", "numbered", 7),
    Config("copytruncate", "delaycompress", "numbered", 7),
    Config("create", "compress", "dateext", 7),
    Config("create", "compress", "numbered", 1),  # files gone for good while viewers are away: a reset says so
]


@pytest.mark.parametrize("config", REAL_STORMS, ids=[config.name for config in REAL_STORMS])
def test_every_viewer_gets_every_line_on_disk_once_in_order_through_real_logrotate(log_dir, tmp_path, config):
    storm = run_storm(log_dir, tmp_path / "state", lines=2500, viewers=4, kills=1, seed=20261204, logrotate=config)
    print(storm.summary())
    assert len(storm.rotations) >= 3
    for viewer in storm.viewers:
        assert viewer.error is None
        assert (viewer.lost[:5], viewer.repeated, viewer.out_of_order) == ([], 0, 0), viewer


def test_viewers_away_while_a_rotating_file_handler_deletes_old_files_lose_only_deleted_lines(log_dir, tmp_path):
    """``backupCount=3``: a viewer comes back after its file was deleted; it goes on with the oldest file written
    since (it restarted at the live file, skipping every backup, before)."""
    storm = run_storm(
        log_dir, tmp_path / "state", 3000, 4, 1, seed=20261204, handler_backups=3, handler_every=(0.2, 0.4)
    )
    print(storm.summary())
    assert storm.totals()["resets"] > 0  # some viewer came back after its file was deleted
    for viewer in storm.viewers:
        assert viewer.error is None
        assert (viewer.lost[:5], viewer.repeated, viewer.out_of_order) == ([], 0, 0), viewer
