"""How `projnet` fails: one line on stderr and an exit code (1 domain, 2 usage); tracebacks only on PROJNET_DEBUG=1."""

from __future__ import annotations

import importlib
import os
import sys

import typer
import typer.core

from projnet.errors import ProjnetError

# typer 0.2x vendors click and roots its usage and file errors in the public typer.TyperException;
# older typer raises the click package's ClickException
ClickException = getattr(typer, "TyperException", None) or importlib.import_module("click.exceptions").ClickException


def _debug() -> bool:
    return os.environ.get("PROJNET_DEBUG") == "1"


# typer 0.2x labels option values "<int range>", "<list[str]>"; help reads better in the plain words
# that man pages and click use (an option that names its own metavar keeps it)
PLAIN_METAVARS = {"int": "INTEGER", "int range": "INTEGER", "float": "NUMBER", "float range": "NUMBER",
                  "str": "TEXT", "list[str]": "TEXT", "path": "PATH", "file": "FILE", "directory": "DIR"}


def plain_metavars(group) -> None:
    for command in getattr(group, "commands", {}).values():
        for param in command.params:
            if getattr(param, "is_flag", True) or param.metavar is not None:
                continue
            try:
                label = param.display_type(None).strip("<>")
            except Exception:  # another typer's internals: keep its own label
                continue
            if label in PLAIN_METAVARS:
                param.metavar = PLAIN_METAVARS[label]


class OneLineErrorGroup(typer.core.TyperGroup):
    """Turn every expected failure into one line on stderr and an exit code; tracebacks only on PROJNET_DEBUG=1."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        plain_metavars(self)
        try:
            result = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                  standalone_mode=False, **extra)
        except ClickException as exc:  # usage errors (exit 2) and click's own file errors (exit 1)
            if _debug():
                raise
            message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            typer.echo(f"error: {message}", err=True)
            sys.exit(getattr(exc, "exit_code", 2))
        except ProjnetError as exc:
            if _debug():
                raise
            typer.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except (typer.Abort, KeyboardInterrupt):
            typer.echo("error: interrupted", err=True)
            sys.exit(130)
        if result == 130:  # typer turns a KeyboardInterrupt inside a command into a silent Exit(130)
            typer.echo("error: interrupted", err=True)
        sys.exit(result if isinstance(result, int) else 0)
