"""Rich progress bars and console output shared by every long-running command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=True)
"""Console for human-facing messages (stderr, so stdout stays machine-readable)."""


@contextmanager
def progress(transient: bool = False) -> Iterator[Progress]:
    """A progress display on stderr: ``with progress() as p: task = p.add_task("…", total=n)``."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=transient,
    ) as bar:
        yield bar
