"""metrics.json's schema, in one place: every key a run writes, its type, and the version number.

Export builds the document and `check_metrics` holds it to this schema before it is written, so a
key renamed in one place and not the other fails the run's own tests rather than a reader's script.
Readers check `schema_version`; it changes when a key is renamed, removed or changes meaning (adding
an optional key does not change it). TensorFlow-free: device tools can read the schema too.

Version 2 (this one): `schema_version`, `data` (what was read) and `teacher` (--teacher runs) added
to the version-1 layout of earlier runs, which had no version key; later optional additions:
`student_input`, `export_versions`, and each student's `metadata_bytes`.
"""

from __future__ import annotations

from typing import Any

from projnet.errors import ProjnetError

METRICS_SCHEMA_VERSION = 2
NUMBER = (int, float)
OPTIONAL = "optional"

LATENCY = {"p50": NUMBER, "p90": NUMBER, "p99": NUMBER, "mean": NUMBER}
FILE = {"path": str, "bytes": (int, type(None)), "sha256": (str, type(None)), "files": (int, OPTIONAL)}
TFLITE_FILE = {  # one exported .tflite: the students' entries add the accuracy figures
    "size_bytes": int, "ops": [str], "latency_us": LATENCY, "peak_rss_mb": NUMBER, "init_ms": NUMBER,
    "accuracy": (NUMBER, OPTIONAL), "agreement": (NUMBER, OPTIONAL), "bit_flip_rate": (NUMBER, OPTIONAL),
    "metadata_bytes": (int, OPTIONAL),  # students: what the TFLite Model Metadata and its files add to size_bytes
}
BASELINE = {"family": str, "size": int, "label": str, "seed": int, "size_bytes": int, "accuracy": NUMBER,
            "float_accuracy": NUMBER, "agreement": NUMBER, "params": int}
SCHEMA: dict[str, Any] = {
    "schema_version": int,
    "dataset": str,
    "data": {"name": str, "description": str, "source": str, "layout": str, "input_shape": [int], "classes": [str],
             "rows": {"train": int, "validation": int, "test": int}, "files": [FILE], "scaling": (dict, OPTIONAL)},
    "teacher": ({**FILE, "outputs": str, "trainable": bool, "params": int}, OPTIONAL),
    "trainer": {"accuracy": NUMBER, "params": int},
    "student": {"accuracy": NUMBER, "params": int, "bits": int},
    "quant": str,
    "student_input": (str, OPTIONAL),  # "image" (RGB pixels in, probabilities out), "features" or "ids"
    "export_versions": (dict, OPTIONAL),  # projnet, python, tensorflow, ai-edge-litert versions at export
    "featurizer_parity": ({"rows": int, "identical_rows": int, "differing_ids": int}, OPTIONAL),
    "student_float": TFLITE_FILE,
    "trainer_float": TFLITE_FILE,
    "baselines": ([BASELINE], OPTIONAL),
    "baseline": ((BASELINE, type(None)), OPTIONAL),
    "bench": {"runtime": str, "threads": int, "machine": str},
    "size_ratio_int8_to_trainer": NUMBER,
}
STUDENT_PREFIX = "student_"  # student_<quant mode>: one more TFLITE_FILE entry, named after export.quant


def check_metrics(doc: dict) -> None:
    """Refuse, naming the key, a document that does not follow SCHEMA (a bug in projnet, not user input)."""
    expected = dict(SCHEMA)
    quant_key = f"{STUDENT_PREFIX}{doc.get('quant')}"
    expected.setdefault(quant_key, TFLITE_FILE)
    unknown = sorted(set(doc) - set(expected))
    if unknown:
        raise ProjnetError(f"metrics.json has keys the schema lacks: {', '.join(unknown)} (projnet/metrics_schema.py)")
    _check(doc, expected, "metrics")


def _check(value: Any, spec: Any, where: str) -> None:
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            raise ProjnetError(f"{where} must be an object, not {type(value).__name__}")
        for key, child in spec.items():
            if key not in value:
                if not (isinstance(child, tuple) and OPTIONAL in child):
                    raise ProjnetError(f"{where}.{key} is missing")
                continue
            _check(value[key], _strip(child), f"{where}.{key}")
        return
    if isinstance(spec, list):
        if not isinstance(value, list):
            raise ProjnetError(f"{where} must be a list, not {type(value).__name__}")
        for i, item in enumerate(value):
            _check(item, spec[0], f"{where}[{i}]")
        return
    if isinstance(spec, tuple):  # any of these
        problems = []
        for option in spec:
            try:
                _check(value, option, where)
                return
            except ProjnetError as exc:
                problems.append(str(exc))
        raise ProjnetError(problems[0])
    if spec is bool and not isinstance(value, bool) or spec is not bool and (
            isinstance(value, bool) or not isinstance(value, spec)):
        raise ProjnetError(f"{where} must be {getattr(spec, '__name__', spec)}, not {type(value).__name__}")


def _strip(spec: Any) -> Any:
    """(spec, OPTIONAL) -> spec; (a, b, OPTIONAL) -> (a, b)."""
    if isinstance(spec, tuple) and OPTIONAL in spec:
        rest = tuple(s for s in spec if s != OPTIONAL)
        return rest[0] if len(rest) == 1 else rest
    return spec
