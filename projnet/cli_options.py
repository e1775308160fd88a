"""The options several `projnet` commands share, defined once so every command spells them the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

ConfigFile = Annotated[Optional[Path], typer.Option("--config", help="TOML file of settings.", dir_okay=False)]
SetOptions = Annotated[Optional[list[str]], typer.Option("--set", help="Override a setting: key=value (repeatable).")]
JsonOut = Annotated[Optional[Path], typer.Option("--json", help="Also write the figures to this JSON file.")]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")]
DataDir = Annotated[Optional[Path], typer.Option("--data-dir", help="Extra directory to search for data files.")]
Quiet = Annotated[bool, typer.Option("--quiet", help="No progress bars.")]
Seed = Annotated[Optional[int], typer.Option(help="Seed for initialisation, data order and hyperplanes.")]
