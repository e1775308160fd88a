"""Settings by name: `--set key=value` parsing, TOML files in and out, and the resolution order of a run's config.

A run's config is built from the dataclass defaults (config.py), the data set's defaults, a TOML file,
`--set` strings and typed overrides, later winning; every key is checked before any is applied, so a
typo is refused before any work.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from pathlib import Path
from typing import Any

from projnet.config import PipelineConfig, RunConfig, _sections, known_keys
from projnet.errors import UsageError

# releases before the [pipeline] section kept its settings in [train]: a run directory's config.toml
# from one still resumes (config_from_toml), while `--set` and `--config` name the new keys
LEGACY_KEYS = {f"train.{f.name}": f"pipeline.{f.name}" for f in dataclasses.fields(PipelineConfig)}


def _field_type(config: RunConfig, key: str) -> Any:
    if key in LEGACY_KEYS:
        raise UsageError(f"{key} is now {LEGACY_KEYS[key]} (the [pipeline] section)")
    section, _, name = key.partition(".")
    if section not in _sections(config) or "." in name:
        raise UsageError(f"unknown setting {key!r}; known settings: {', '.join(known_keys())}")
    hints = typing.get_type_hints(type(getattr(config, section)))
    if name not in hints:
        raise UsageError(f"unknown setting {key!r}; known settings: {', '.join(known_keys())}")
    return hints[name]


def _coerce(key: str, value: Any, expected: Any) -> Any:
    """Check a parsed value against the field's type; ints are accepted where floats are expected."""
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if typing.get_origin(expected) is list:
        (item,) = typing.get_args(expected)
        if isinstance(value, list) and all(isinstance(v, item) and not isinstance(v, bool) for v in value):
            return list(value)
    elif isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
        return value
    name = getattr(expected, "__name__", str(expected))
    raise UsageError(f"{key} expects {name}. Received: {key}={value!r}")


def parse_set_value(key: str, text: str, expected: Any) -> Any:
    """Parse the right-hand side of `--set key=value` as a TOML value; bare words are strings."""
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    if expected is str and not isinstance(value, str):
        value = text  # `--set data.dataset=123` names a string, however it looks
    return _coerce(key, value, expected)


def _flatten_toml(doc: dict[str, Any], source: str) -> dict[str, Any]:
    flat = {}
    for section, body in doc.items():
        if not isinstance(body, dict):
            raise UsageError(f"{source}: top-level key {section!r} must be a [section] table")
        for name, value in body.items():
            flat[f"{section}.{name}"] = value
    return flat


def load_toml_settings(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"config file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"config file {path} is not valid TOML: {exc}") from None
    return _flatten_toml(doc, str(path))


def parse_set_options(assignments: list[str]) -> dict[str, str]:
    settings = {}
    for item in assignments:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects key=value. Received: {item!r}")
        settings[key.strip()] = text.strip()
    return settings


def resolve_config(
    config_file: str | Path | None = None,
    set_options: list[str] | None = None,
    dataset_defaults: typing.Callable[[str], dict[str, Any]] | None = None,
    overrides: dict[str, Any] | None = None,
) -> RunConfig:
    """Build the RunConfig from defaults, per-data-set defaults, a TOML file, `--set` strings and typed
    `overrides` (what CLI flags and API arguments set: Python values, no TOML text), later winning."""
    file_settings = load_toml_settings(config_file) if config_file else {}
    cli_settings = parse_set_options(set_options or [])
    overrides = dict(overrides or {})
    config = RunConfig()
    for key in list(file_settings) + list(cli_settings) + list(overrides):
        _field_type(config, key)  # refuse unknown keys before any work
    explicit = {**file_settings, **cli_settings, **overrides}
    dataset = explicit.get("data.dataset", config.data.dataset)  # later sources win, as below
    if dataset_defaults is not None:
        for key, value in dataset_defaults(str(dataset)).items():
            apply_setting(config, key, value)
    for key, value in file_settings.items():
        apply_setting(config, key, value)
    for key, text in cli_settings.items():
        apply_setting(config, key, parse_set_value(key, text, _field_type(config, key)))
    for key, value in overrides.items():
        apply_setting(config, key, value)
    if config.pipelined and "objective.mixup_distill_weight" not in explicit:
        config.objective.mixup_distill_weight = 0.0  # its default is the plain loop's; the pipeline has no slot for it
    return config.validate()


def apply_setting(config: RunConfig, key: str, value: Any) -> None:
    expected = _field_type(config, key)
    section, name = key.split(".", 1)
    setattr(getattr(config, section), name, _coerce(key, value, expected))


def config_to_toml(config: RunConfig) -> str:
    """The resolved config as TOML that `--config` reads back to an equal RunConfig."""
    import tomli_w

    return tomli_w.dumps({section: dataclasses.asdict(body) for section, body in _sections(config).items()})


def config_from_toml(path: str | Path) -> RunConfig:
    """A run directory's config.toml back as the RunConfig it records (older releases' keys included)."""
    config, settings = RunConfig(), load_toml_settings(path)
    for key, value in settings.items():
        apply_setting(config, LEGACY_KEYS.get(key, key), value)
    if any(key in LEGACY_KEYS for key in settings) and config.pipelined:  # what the old pipelined loop ignored, as the run it records did
        config.objective.mixup_distill_weight, config.train.checkpoint_every_steps = 0.0, 0
    return config.validate()
