"""Remove what the answers did not ask for and record the answers.

Idempotent and offline: running it twice leaves the same tree.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

REPLAY_FILE = ".cookiecutter-replay.json"


def remove_compose_files() -> None:
    Path("docker-compose.yml").unlink(missing_ok=True)


def remove_kubernetes_files() -> None:
    shutil.rmtree("kubernetes", ignore_errors=True)


def record_answers(context: dict) -> None:
    """Write a replay file for ``cookiecutter --replay-file`` (template internals left out)."""
    answers = {k: v for k, v in context.items() if not k.startswith("_") or k == "_template"}
    Path(REPLAY_FILE).write_text(json.dumps({"cookiecutter": answers}, indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    context = json.loads({{cookiecutter | tojson | tojson}})
    if context["deployment"] == "kubernetes":
        remove_compose_files()
    else:
        remove_kubernetes_files()
    record_answers(context)


if __name__ == "__main__":
    main()
