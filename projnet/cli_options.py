"""The options several `projnet` commands share, defined once so every command spells them the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

ConfigFile = Annotated[Optional[Path], typer.Option("--config", help="TOML file of settings.", dir_okay=False, metavar="FILE.toml")]
SetOptions = Annotated[Optional[list[str]], typer.Option("--set", metavar="KEY=VALUE", help="Override a setting (repeatable; `projnet config` lists them).")]
JsonOut = Annotated[Optional[Path], typer.Option("--json", metavar="FILE.json", help="Also write the figures to this JSON file.")]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")]
DataDir = Annotated[Optional[Path], typer.Option("--data-dir", metavar="DIR", help="Extra directory to search for data files.")]
Quiet = Annotated[bool, typer.Option("--quiet", help="No progress bars.")]
Seed = Annotated[Optional[int], typer.Option(metavar="N", show_default="0",
                                             help="Seed for initialisation, data order and hyperplanes.")]


def check_outputs(overwrite: bool, **outputs: tuple[Optional[Path], str]) -> None:
    """Refuse, before any work, an output file that exists (without --overwrite), has the wrong suffix or has
    no folder to go in. `outputs` maps a flag name to (path or None, required suffix)."""
    from projnet.atomic_io import refuse_to_replace
    from projnet.errors import ProjnetError, UsageError

    for flag, (path, suffix) in outputs.items():
        if path is None:
            continue
        if path.suffix.lower() != suffix:
            raise UsageError(f"--{flag} writes a {suffix[1:].upper()} file: name it FILE{suffix}. Received: --{flag} {path}")
        refuse_to_replace(path, overwrite)
        if path.is_dir() or not path.parent.is_dir():
            raise ProjnetError(f"--{flag} {path}: {'is a folder' if path.is_dir() else 'its folder does not exist'}")
