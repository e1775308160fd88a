"""What `projnet inspect` and `projnet bench` say about a model's TFLite metadata, as lines to print.

`bench` benchmarks a model without metadata all the same and notes on stderr what a deployment tool
(MediaPipe, the Task Library) would miss; `inspect` shows the metadata itself (device_bench/metadata_reader.py).
"""

from __future__ import annotations

from pathlib import Path

from projnet.errors import ProjnetError


def missing_metadata_notes(models: list[Path]) -> list[str]:
    """"note: MODEL lacks ..." for each model whose metadata is missing or incomplete."""
    from projnet.device_bench.flatbuffer_reader import DamagedModel
    from projnet.device_bench.metadata_reader import missing_metadata, read_model_metadata
    from projnet.device_bench.model_file import read_model

    notes = []
    for model in dict.fromkeys(models):
        try:
            missing = missing_metadata(read_model_metadata(read_model(model)))
        except (DamagedModel, ProjnetError) as exc:
            missing = [f"readable metadata ({exc})"]
        if missing:
            notes.append(f"note: {model} lacks {'; '.join(missing)}")
    return notes


def metadata_lines(info: dict) -> list[str]:
    """inspect's metadata lines from describe_model's dict; per-tensor lines start with two spaces."""
    found, lines = info["model_metadata"], []
    if info["missing_metadata"]:
        lines.append(f"metadata lacks: {'; '.join(info['missing_metadata'])}")
    if found is None:
        return lines
    lines.append(f"metadata: {found['name']} ({found['version']}; author {found['author']}; licence {found['license']})")
    for kind in ("inputs", "outputs"):
        for tensor in found[kind]:
            norm = tensor.get("normalization")
            extra = f"; normalization mean {norm['mean']} std {norm['std']}" if norm else ""
            files = ", ".join(f"{f['name']} ({f['type']})" for f in tensor["files"])
            lines.append(f"  {kind[:-1]} {tensor['name']}: {tensor['description']}{extra}"
                         f"{'; files ' + files if files else ''}")
    if info["labels"]:
        shown = ", ".join(info["labels"][:5]) + (", ..." if len(info["labels"]) > 5 else "")
        lines.append(f"  labels ({len(info['labels'])}): {shown}")
    return lines
