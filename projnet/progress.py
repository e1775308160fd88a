"""One progress style for all long work, on stderr so stdout stays for results.

On a terminal: a rich bar with an ETA. Piped (CI logs, `| tee`): rich would draw nothing until the
end, so a plain line is printed, flushed, whenever a step's description changes (each epoch's end,
each export step), with the count and the elapsed time.
"""

from __future__ import annotations

import contextlib
import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class PlainLines:
    """The part of rich's Progress API projnet uses, printing one line per new description."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tasks: dict[int, dict] = {}
        self.started = time.monotonic()

    def add_task(self, description: str, total: float | None = None, completed: float = 0) -> int:
        task = len(self.tasks)
        self.tasks[task] = {"description": description, "total": total, "completed": completed}
        return task

    def advance(self, task: int, advance: float = 1) -> None:
        self.tasks[task]["completed"] += advance

    def update(self, task: int, description: str | None = None, completed: float | None = None, **_) -> None:
        entry = self.tasks[task]
        if completed is not None:
            entry["completed"] = completed
        if description is not None and description != entry["description"]:
            entry["description"] = description
            total = f"/{entry['total']:g}" if entry["total"] else ""
            print(f"{description} [{entry['completed']:g}{total}, {time.monotonic() - self.started:.0f} s]",
                  file=self.stream, flush=True)


@contextlib.contextmanager
def progress_bar(enabled: bool = True):
    console = Console(stderr=True)
    if enabled and not console.is_terminal:
        yield PlainLines()
        return
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("eta"), TimeRemainingColumn(), console=console, disable=not enabled)
    with progress:
        yield progress
