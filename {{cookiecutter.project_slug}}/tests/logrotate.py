"""The real ``logrotate`` (Debian's package) in the configurations hosts use, and what a log's files hold.

Each configuration is one combination of how a log is rotated (``create`` or
``copytruncate``), whether and when rotated files are compressed (``compress``,
``delaycompress``, neither, and with ``bzip2``/``xz``/``zstd`` as
``compresscmd``), how they are named (numbered, or ``dateext``) and how many
are kept (``rotate``). One configuration file holds a block per log, so one
run of ``logrotate -f`` rotates every log of a test at once.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from helpers import require_tool

from {{ cookiecutter.project_slug }}.family import members, open_member

COARSE_CLOCK = 0.05  # seconds
# compresscmd and compressext for the compressors other than gzip (logrotate's default)
COMPRESSORS = {"gzip": None, "bzip2": ".bz2", "xz": ".xz", "zstd": ".zst"}


@dataclass(frozen=True)
class Config:
    method: str  # create or copytruncate
    compress: str  # nocompress, compress or delaycompress
    naming: str  # numbered or dateext
    keep: int  # rotate N
    compressor: str = "gzip"

    @property
    def name(self) -> str:
        parts = [self.method, self.compress, self.naming, f"rotate{self.keep}"]
        return "-".join(parts + ([self.compressor] if self.compressor != "gzip" else []))

    def block(self, log: Path, postrotate: str | None = None) -> str:
        """The configuration block for ``log``, as a host's /etc/logrotate.d file would have it (``postrotate``:
        the command that tells its writer to reopen it, as ``invoke-rc.d ... reload`` does)."""
        lines = [self.method, f"rotate {self.keep}", "missingok"]
        if self.compress != "nocompress":
            lines.append("compress")
            extension = COMPRESSORS[self.compressor]
            if extension:
                program = shutil.which(self.compressor)
                assert program, f"{self.compressor} is not installed (apt-get install {self.compressor})"
                lines += [f"compresscmd {program}", f"compressext {extension}"]
        if self.compress == "delaycompress":
            lines.append("delaycompress")
        if self.naming == "dateext":  # one rotation a second at most: logrotate never overwrites a dated file
            lines += ["dateext", "dateformat -%Y%m%d-%s"]
        if postrotate:
            lines += ["postrotate", f"    {postrotate}", "endscript"]
        body = "".join(f"    {line}\n" for line in lines)
        return str(log) + " {\n" + body + "}\n"


MATRIX = [
    Config(method, compress, naming, keep)
    for method, compress, naming, keep in itertools.product(
        ("create", "copytruncate"), ("compress", "delaycompress", "nocompress"), ("numbered", "dateext"), (1, 7)
    )
] + [Config("create", "delaycompress", "numbered", 7, compressor) for compressor in ("bzip2", "xz", "zstd")]


class Logrotate:
    """One configuration file and state file for a set of logs, and ``logrotate -f`` run on them."""

    def __init__(self, directory: Path, logs: dict[Path, Config], postrotate: str | None = None) -> None:
        self.binary = require_tool("logrotate")
        self.config = directory / "logrotate.conf"
        self.state = directory / "logrotate.status"
        self.config.write_text("".join(config.block(log, postrotate) for log, config in logs.items()))
        self.dated = any(config.naming == "dateext" for config in logs.values())
        self.last = 0.0

    def rotate(self, check: bool = True) -> str:
        """Rotate every log now (in the next second for dated names: logrotate will not overwrite one).

        What logrotate said on its error output; unless ``check``, a failure is said, not raised.
        """
        if self.dated:  # time() may run a few ms behind time.time() (a coarse clock): keep clear of the second's edge
            while int(time.time() - COARSE_CLOCK) <= int(self.last):
                time.sleep(0.01)
        self.last = time.time()
        done = subprocess.run(
            [self.binary, "-f", "-s", str(self.state), str(self.config)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0 or not check, done.stderr
        return done.stderr


def numbers_on_disk(log: Path) -> list[int]:
    """The numbers of the ``line N`` lines in the log and its rotated siblings, as the files hold them now."""
    found: list[int] = []
    for member in members(log):
        with open_member(member.path) as fh:
            found += [int(line.split()[-1]) for line in fh.read().decode().splitlines() if line]
    return found
