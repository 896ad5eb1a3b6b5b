"""Request path -> real regular file inside the allowed set, or a refusal.

A path is judged by where it really leads: symlinks are resolved and the real
file's directory must be the log directory itself or an allowed subdirectory
(any subdirectory when ``any_subdirectory``). Nothing is opened here.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .refused import Refused, reason

MAX_LISTED_FILES = 10_000


class PathRefused(Refused):
    """A request path that must not be served (400, 403 or 404)."""


@dataclass(frozen=True)
class LogFile:
    """A viewable file: its name relative to the log directory and its real path."""

    name: str
    path: Path
    readable: bool = True


class AllowedPaths:
    """The log directory, the subdirectories that may be viewed, and the rules."""

    def __init__(
        self, base: str | os.PathLike, directories: list[str | os.PathLike], any_subdirectory: bool = False
    ) -> None:
        self.base = Path(os.path.realpath(base))
        self.directories = frozenset(Path(os.path.realpath(d)) for d in [base, *directories])
        self.any_subdirectory = any_subdirectory
        outside = [d for d in self.directories if not d.is_relative_to(self.base)]
        if outside:
            raise ValueError(f"allowed directory {outside[0]} is not inside the log directory {self.base}")

    def allows_directory(self, real_directory: Path) -> bool:
        if self.any_subdirectory:
            return real_directory.is_relative_to(self.base)
        return real_directory in self.directories

    def resolve(self, name: str) -> LogFile:
        """The log file a request names, or ``PathRefused`` (400, 403 or 404, and 403 when it cannot be read)."""
        log_file = self._locate(name)
        if not log_file.readable:
            raise PathRefused(403, "the service is not allowed to read this file (permission denied)")
        return log_file

    def _locate(self, name: str) -> LogFile:
        """The regular file inside the allowed set that ``name`` leads to, readable or not."""
        if not name or any(ord(c) < 32 or ord(c) == 127 for c in name) or "\\" in name:
            raise PathRefused(400, "malformed file name")
        if name.startswith("/"):
            raise PathRefused(403, "absolute paths are not allowed")
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            raise PathRefused(403, "the path leaves the log directory")
        real = Path(os.path.realpath(self.base.joinpath(*parts)))
        if not real.is_relative_to(self.base) or not self.allows_directory(real.parent):
            raise PathRefused(403, "the path is outside the allowed directories")
        try:
            mode = os.stat(real).st_mode
        except FileNotFoundError:
            raise PathRefused(404, "no such log file") from None
        except OSError as error:
            raise PathRefused(403, f"cannot read the file: {reason(error)}") from None
        if not stat.S_ISREG(mode):
            raise PathRefused(403, "not a regular file")
        return LogFile("/".join(parts), real, os.access(real, os.R_OK))

    def still_allowed(self, path: Path) -> bool:
        """Whether ``path`` (a name already served) still leads to a regular file inside the allowed set."""
        real = Path(os.path.realpath(path))
        if not (real.is_relative_to(self.base) and self.allows_directory(real.parent)):
            return False
        try:
            return stat.S_ISREG(os.stat(real).st_mode)
        except FileNotFoundError:
            return True  # gone between two looks: the tailer reports it missing
        except OSError:
            return False

    def _worth_walking(self, directory: Path) -> bool:
        if self.any_subdirectory:
            return True
        real = Path(os.path.realpath(directory))
        return any(allowed.is_relative_to(real) for allowed in self.directories)

    def listing(self) -> list[tuple[LogFile, os.stat_result]]:
        """Every regular file in the allowed set with its stat, newest first (unreadable ones marked)."""
        found: list[tuple[LogFile, os.stat_result]] = []
        for directory, subdirectories, files in os.walk(self.base):
            relative = Path(directory).relative_to(self.base)
            subdirectories[:] = sorted(d for d in subdirectories if self._worth_walking(Path(directory, d)))
            for file_name in sorted(files):
                name = (relative / file_name).as_posix()
                try:
                    log_file = self._locate(name)
                    found.append((log_file, os.stat(log_file.path)))
                except (PathRefused, OSError):
                    continue
                if len(found) >= MAX_LISTED_FILES:
                    break
            if len(found) >= MAX_LISTED_FILES:
                break
        found.sort(key=lambda entry: entry[1].st_mtime, reverse=True)
        return found
