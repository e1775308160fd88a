"""How `projnet` fails: one line on stderr and an exit code (1 domain, 2 usage); tracebacks only on PROJNET_DEBUG=1."""

from __future__ import annotations

import os
import sys

import typer
import typer.core

from projnet.errors import ProjnetError

try:  # typer 0.2x vendors its own click; older typer uses the click package
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - depends on the installed typer
    from click.exceptions import ClickException


def _debug() -> bool:
    return os.environ.get("PROJNET_DEBUG") == "1"


class OneLineErrorGroup(typer.core.TyperGroup):
    """Turn every expected failure into one line on stderr and an exit code; tracebacks only on PROJNET_DEBUG=1."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            result = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                  standalone_mode=False, **extra)
        except ClickException as exc:  # usage errors (exit 2) and click's own file errors (exit 1)
            if _debug():
                raise
            typer.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
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
