"""Every setting with its type, its default and the reason for that default, read from config.py itself.

The reason is the comment on the field's line (STYLE.md asks one of every default), so the listing
cannot drift from the code: `projnet config` prints it, and a test requires a reason for every key.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import typing

from projnet import config as config_module
from projnet.config import RunConfig

FIELD_LINE = re.compile(r"^\s+(\w+): [^=]+=.*?#\s*(.+)$")


def _reasons(cls: type) -> dict[str, str]:
    """field name -> the comment on its line in the dataclass's source."""
    found = {}
    for line in inspect.getsource(cls).splitlines():
        match = FIELD_LINE.match(line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def _type_name(hint) -> str:
    if typing.get_origin(hint) is list:
        return f"list of {typing.get_args(hint)[0].__name__}"
    return getattr(hint, "__name__", str(hint))


def list_settings(config: RunConfig | None = None) -> list[dict]:
    """[{"key", "type", "default", "reason"}] in section order; `config` gives the defaults to show."""
    config = config or RunConfig()
    rows = []
    for section in dataclasses.fields(RunConfig):
        body = getattr(config, section.name)
        hints = typing.get_type_hints(type(body), vars(config_module))
        reasons = _reasons(type(body))
        for f in dataclasses.fields(body):
            rows.append({"key": f"{section.name}.{f.name}", "type": _type_name(hints[f.name]),
                         "default": getattr(body, f.name), "reason": reasons.get(f.name, "")})
    return rows
