"""Each line's level (``trace`` to ``critical``), recognised once on the server, a batch of lines at a time.

One regular expression reads a line (``_LINE``): a level word where a header
puts it (after a timestamp, bracketed fields, a ``name -``), a bracketed level
in any case (``[error]``, ``[core:warn]``), JSON (``"level"``,
``"levelname"``, ``"severity"``, ``"lvl"``, pino/bunyan numbers), logfmt and
Go's slog (``level=``), a syslog ``<PRI>``, glog's ``E1125``, and access logs
by status (5xx error, 4xx warning). A level word inside the message (after
``logger:``) is not the line's level. A line that starts no record (no
timestamp, bracket, brace or level: a traceback, an indented follow-up)
continues the record before it and takes its level. Reading every line so
would cost a burst a third of its speed: ``Levels`` reads whole lines only
until it has learned the column a file keeps its level at, then looks four
letters up there.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from itertools import repeat

from .refused import Refused

LEVELS = ("trace", "debug", "info", "warning", "error", "critical")
RANK = {name: rank for rank, name in enumerate(LEVELS)}

_WORDS = {
    "trace": "TRACE TRC TRAC FINEST FINER VERBOSE VRB SILLY",
    "debug": "DEBUG DBG DEBU FINE",
    "info": "INFO INF INFORMATION NOTICE NOTE LOG HTTP",
    "warning": "WARNING WARN WRN",
    "error": "ERROR ERR ERRO SEVERE FAILURE",
    "critical": "CRITICAL CRIT FATAL FATA FTL PANIC PANI ALERT EMERG EMERGENCY",
}
WORD_LEVEL = {word: level for level, words in _WORDS.items() for word in words.split()}
_UPPER = "|".join(sorted(WORD_LEVEL, key=len, reverse=True))
_ANSI = r"(?:\x1b\[[0-9;]*m)*"
_MONTH = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
# What a header may hold before its level: timestamps and numbers, bracketed fields, separators,
# month names, a `name -`, a zone before a [pid] (PostgreSQL); never a `name:` (after it comes the
# message). Spaces or tabs between, or nothing between two brackets (Elasticsearch: `[...][WARN ]`).
_HEADER = (
    r"(?:"
    + _ANSI
    + r"(?>\d[^\s\x1b]*+|\[[^\]\n]*+\]|<[^>\n]*+>|\([^)\n]*+\)|[-|]|[\w.]++ +-|"
    + r"[A-Z]{2,5}(?=[ \t]\[\d)|"
    + _MONTH
    + r")"
    + _ANSI
    + r"(?:[ \t]++|(?<=\])(?=\[))){0,6}?"
)
# Layouts whose level is no word where a header puts it, each read first: Android's logcat (threadtime: a
# letter after the pid and tid), a Blue Gene RAS log (a field in the middle), a lowercase tag (.NET's console
# logger, winston's simple format), a time and a level in one bracket (Rust's env_logger, Serilog), Redis's
# mark, and journalctl's JSON PRIORITY.
_LOGCAT = r"\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} +\d+ +\d+ ([VDIWEFA]) "  # 1
_RAS = r"(?:-|[A-Z_]+) \d{10} \d{4}\.\d\d\.\d\d \S+ \d{4}-\d\d-\d\d-\d\d\.\d\d\.\d\d\.\d{6} \S+ RAS \w+ (\w+) "  # 2
_TAG = r"(trce|dbug|info|warn|fail|crit|error|warning|debug|verbose|silly|http): "  # 3
_BRACKETED_TIME = r"\[\d[^\]\s]*+ ++(" + _UPPER + r")\b[^\]\n]*+\]"  # 4
_REDIS = r"\d+:[XCSM] \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} ([.*#-]) "  # 5
_JOURNAL = r"\{[^\n]{0,2000}?\"PRIORITY\" *: *\"(\d)\""  # 6
# A capitalised level word (Windows' CBS log: ``Info``) counts where a column or a separator follows it.
_CAPITALISED = "|".join(sorted((word.capitalize() for word in WORD_LEVEL if len(word) > 3), key=len, reverse=True))
# Kubernetes' container log (CRI) puts a time, the stream and a tag before the app's own line.
_CRI = r"(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) (?:stdout|stderr) [FP] )?"
_LINE = re.compile(
    _CRI + r"(?:(?:" + "|".join((_LOGCAT, _RAS, _TAG, _BRACKETED_TIME, _REDIS, _JOURNAL)) + ")|"
    r"(?=[\d\[<A-Z\x1b({])"  # a header starts with one of these: only such lines are looked into
    r"(?:" + _HEADER + r"(?:[\[<](?:[\w.-]+:)?((?i:" + _UPPER + r")) *[\]>]"  # 7: [level], any case
    r"|"
    + _ANSI
    + r" *("
    + _UPPER
    + r"|(?:"
    + _CAPITALISED
    + r")(?=\s\s|[:,\]]))\d?"  # 8: LEVEL (DEBUG1 too)
    + _ANSI
    + r"(?=[\s:|,\]\[]|$))"
    r"|\{[^\n]{0,200}?\"(?:level|levelname|severity|lvl)\" *: *(?:\"(\w+)\"|(\d+))"  # 9, 10: JSON
    r"|<(\d{1,3})>"  # 11: syslog PRI
    r"|([IWEF])\d{4} \d\d:\d\d:\d\d"  # 12: glog
    r"|\S++ \S++ \S++ \[[^\]\n]++\] \"[^\"\n]*+\" (\d{3}) "  # 13: access log status
    r"|([\d\[{<]|" + _MONTH + r"))"  # 14: a record's start, without a level
    r"|(?=\w+=)[^\n]{0,200}?(?<![^ \t])(?:level|lvl|severity)=\"?(\w+)"  # 15: logfmt
    r"|(?=(\w)\w*=))"  # 16: a logfmt record without a level
)
# Where a level is found, as a column can be learned from it: the group, and how many characters at the
# column tell the level (a word's first four letters; logcat's letter and the space after it).
_COLUMN_GROUPS = {1: 2, 2: 4, 4: 4, 7: 4, 8: 4, 9: 4, 15: 4}
# What may start a record, as text and as bytes (``Levels`` reads lines of either).
_RECORD_START = frozenset("0123456789[{<JFMASOND") | {bytes([c]) for c in b"0123456789[{<JFMASOND"}
# The first four letters of the level words that tell their level by them, as logs spell them:
# the column lookup (FINE, FINER and FINEST differ later; ERR and the like are read whole).
_COLUMN_WORDS = {
    key: level
    for word, level in WORD_LEVEL.items()
    if len(word) >= 4 and not word.startswith("FINE")
    for spelled in (word, word.lower(), word.capitalize())
    for key in (spelled[:4], spelled[:4].encode())
}
_LETTER_COLUMN = {
    key: level
    for letter, level in zip("VDIWEFA", (*LEVELS, "critical"), strict=True)
    for key in (f"{letter} ", f"{letter} ".encode())
}
_COLUMN_TABLES = {4: _COLUMN_WORDS, 2: _LETTER_COLUMN}  # by the width of the column's key
_PINO = {10: "trace", 20: "debug", 30: "info", 40: "warning", 50: "error", 60: "critical"}
_SYSLOG = ("critical", "critical", "critical", "error", "warning", "info", "info", "debug")
_GLOG = {"I": "info", "W": "warning", "E": "error", "F": "critical"}
_LOGCAT_LETTERS = dict(zip("VDIWEFA", (*LEVELS, "critical"), strict=True))  # A: assert
_DOTNET_TAGS = dict(zip(("trce", "dbug", "info", "warn", "fail", "crit"), LEVELS, strict=True))
_REDIS_MARKS = {".": "debug", "-": "trace", "*": "info", "#": "warning"}
LEARN_LINES = 20  # level words seen before their column is trusted
LEVELLESS_LINES = 200  # lines without any level before a file is only sampled
_CONTINUES = ""  # no level and no record start: the record before goes on
_STARTS = None  # a record's start without a level


class LevelRefused(Refused):
    """A ``level=`` that is not one of ``LEVELS``."""


def parse_level(text: str | None) -> str | None:
    """A request's ``level`` (None when absent); ``LevelRefused(400)`` for another name."""
    if text is None or text == "":
        return None
    if text not in RANK:
        raise LevelRefused(400, f"level must be one of {', '.join(LEVELS)}, not {text[:40]!r}")
    return text


def _word(word: str) -> str | None:
    return WORD_LEVEL.get(word.upper())


def _classify(groups: tuple[str, ...]) -> str | None:
    """The level (or ``_STARTS``, ``_CONTINUES``) a line's groups say."""
    logcat, ras, tag, timed, redis, journal, bracketed, upper, json_word, json_number, pri, glog, status = groups[:13]
    start, logfmt, keyed = groups[13:]
    if logcat:
        return _LOGCAT_LETTERS[logcat]
    if tag:
        return _DOTNET_TAGS.get(tag) or _word(tag)
    if redis:
        return _REDIS_MARKS[redis]
    if journal:
        return _SYSLOG[int(journal)]
    if json_word or logfmt or bracketed or ras or timed:
        return _word(json_word or logfmt or bracketed or ras or timed) or _STARTS
    if json_number:
        return _PINO.get(int(json_number) // 10 * 10) if int(json_number) < 70 else "critical"
    if pri:
        return _SYSLOG[int(pri) % 8]
    if glog:
        return _GLOG[glog]
    if status:
        return "error" if status[0] == "5" else "warning" if status[0] == "4" else "info"
    if upper:
        return WORD_LEVEL[upper.upper()]
    return _STARTS if start or keyed else _CONTINUES


class Levels:
    """The levels of a file's lines, batch after batch: a continuation line takes its record's level.

    The first lines are read whole (``_LINE``). Most files put the level at
    the same column of every record (a fixed-width timestamp before it): once
    that is seen, a line's level is the four letters at that column, looked
    up in a table, and only the lines that start a record without one there
    are read whole. A file that shows no level in 200 lines is then only
    sampled, a line per batch, until one does.
    """

    def __init__(self) -> None:
        self.current: str | None = None  # the level of the record the next line may continue
        self.column: int | None = None  # where this file's records hold their level word
        self.width = 4  # how many characters there tell the level
        self.levelless = 0  # lines read whole that held no level
        self._columns: Counter[tuple[int, int]] = Counter()  # where the level words read so far stood, how wide
        self._seen = 0  # level words read so far
        self._elsewhere = 0  # records in a row, since the column was learned, with their level word elsewhere

    def of(self, lines: list[str] | list[bytes]) -> list[str | None]:
        """The level of each line (None: none known); lines as text, or as ASCII bytes."""
        if self.column is not None:  # the usual case, once a few records were read
            return self._by_column(lines)
        if self.levelless >= LEVELLESS_LINES and self._whole(lines[0]) is None:
            return [None] * len(lines)  # a file without levels: one line looked at per batch
        levels: list[str | None] = []
        for line in lines:  # read whole until the column is known or the file shows it has no levels
            if self.column is not None or self.levelless >= LEVELLESS_LINES:
                break
            levels.append(self._whole(line))
        rest = lines[len(levels) :]
        if rest:
            levels += self._by_column(rest) if self.column is not None else [None] * len(rest)
        return levels

    def _whole(self, line: str | bytes) -> str | None:
        """A line's level, reading it whole; learns the file's column."""
        match = _LINE.match(line if isinstance(line, str) else line.decode("ascii"))
        level = _classify(match.groups()) if match else _CONTINUES
        if level == _CONTINUES:
            if self.current is None:
                self.levelless += 1
            return self.current
        self.current = level
        if level is None:
            self.levelless += 1
            return None
        self.levelless = 0
        word = next((group for group in _COLUMN_GROUPS if match.group(group)), None)
        if word is None:
            return level
        if self.column is None:
            self._learn(match.start(word), _COLUMN_GROUPS[word])
        elif match.start(word) != self.column:
            self._elsewhere += 1
            if self._elsewhere >= LEARN_LINES:  # the file's layout changed (a service restarted): learn it again
                self.column, self._seen, self._elsewhere = None, 0, 0
                self._columns.clear()
        return level

    def _learn(self, column: int, width: int) -> None:
        """Count where level words stand: the file's column holds 95 % of the first 20 or more."""
        self._columns[column, width] += 1
        self._seen += 1
        # Only the column just counted can have reached its share.
        if self._seen >= LEARN_LINES and self._columns[column, width] >= 0.95 * self._seen:
            self.column, self.width = column, width

    def _by_column(self, lines: list[str] | list[bytes]) -> list[str | None]:
        """Each line's four letters at the column, looked up in bulk; then, one by one, only the lines without
        a level word there: a record of another shape is read whole, any other line continues the one before."""
        column, table = self.column, _COLUMN_TABLES[self.width]
        levels = list(map(table.get, map(operator.getitem, lines, repeat(slice(column, column + self.width)))))
        missing = 0
        while True:
            try:
                missing = levels.index(None, missing)
            except ValueError:
                break
            if missing:
                self.current = levels[missing - 1]
            line = lines[missing]
            levels[missing] = self._whole(line) if line[:1] in _RECORD_START else self.current
            missing += 1
        if levels:
            self.current = levels[-1]
            if levels[-1] is not None and levels[-1] == table.get(lines[-1][column : column + self.width]):
                self._elsewhere = 0  # the column still holds the level of the records
        return levels


def column_keys(width: int) -> dict[bytes, str]:
    """What the ``width`` bytes at a file's level column say (``b"WARN"``: warning), for reading lines in bulk."""
    return {key: level for key, level in _COLUMN_TABLES[width].items() if isinstance(key, bytes)}


def level_of(line: str) -> str | None:
    """A line's own level, read alone (a continuation line has none)."""
    match = _LINE.match(line)
    return (_classify(match.groups()) if match else None) or None


def continues(line: str) -> bool:
    """Whether a line starts no record of its own (it takes the level of the record before it)."""
    match = _LINE.match(line)
    return match is None or _classify(match.groups()) == _CONTINUES


def kept(floor: str, levels: list[str | None], *columns: list) -> list[list]:
    """``levels`` and each of ``columns`` (lines, their starts...) with only the entries at ``floor`` or above."""
    keep = at_least(levels, floor)
    return [[value for value, ok in zip(column, keep, strict=True) if ok] for column in (levels, *columns)]


def at_least(levels: list[str | None], threshold: str) -> list[bool]:
    """Which lines a ``level=threshold`` view keeps: those at it or above (a line with no level is not)."""
    floor = RANK[threshold]
    return [level is not None and RANK[level] >= floor for level in levels]
