"""`projnet config`: every setting a run takes, with its type, default and the reason for the default."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from projnet.cli_options import JsonOut, Overwrite


def _as_toml(value) -> str:
    """A default as `--set` takes it: JSON's spelling of strings, booleans, numbers and lists is inline TOML."""
    import json

    return json.dumps(value)


def config_command(
    dataset: Annotated[Optional[str], typer.Option(
        help="Show the defaults as this data set sets them (text sets size the models differently).")] = None,
    json_out: JsonOut = None,
    overwrite: Overwrite = False,
) -> None:
    """List every setting (`--set key=value`) with its type, default and why that default."""
    from rich.console import Console
    from rich.table import Table

    from projnet.config_settings import resolve_config
    from projnet.config_listing import list_settings
    from projnet.data import dataset_defaults

    config = resolve_config(dataset_defaults=dataset_defaults, overrides={"data.dataset": dataset} if dataset else {})
    rows = list_settings(config)
    if dataset:  # say which defaults the data set changed, and keep the general reason beside it
        for row, plain in zip(rows, list_settings()):
            if row["default"] != plain["default"]:
                row["reason"] = f"{dataset} sets this (general default {plain['default']!r}: {plain['reason']})"
    if json_out is not None:
        from projnet.atomic_io import atomic_write_json, refuse_to_replace

        refuse_to_replace(json_out, overwrite)
        atomic_write_json(json_out, rows)
    table = Table(title=f"settings{f' for {dataset}' if dataset else ''} (override with --set key=value)")
    table.add_column("setting", no_wrap=True)
    table.add_column("type", no_wrap=True)
    table.add_column("default", overflow="fold")
    table.add_column("why", overflow="fold", ratio=1)
    for row in rows:
        table.add_row(row["key"], row["type"], _as_toml(row["default"]), row["reason"])
    Console().print(table)
