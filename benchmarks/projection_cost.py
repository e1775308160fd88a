"""What the text projection costs on device: int8 infer p50 against ids per row, functions and bits.

    .venv/bin/python -m benchmarks.projection_cost --json benchmarks/results/projection_cost.json

Untrained students (the cost of a graph does not depend on its weights), converted to full-integer
int8 with the project's converter and timed with `projnet.device_bench` (ai-edge-litert, one thread,
median of every timed run in a fresh process). The `token` backend's work is L * T hashes and L * T
row reads: it should grow with L and T and hardly with d (more bits only widen the code, the table
grows instead). The sentence-level `hashed` backend hashes every id once per bit: L * T * d.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from projnet.native_output import import_tensorflow_quietly

CASES = ([("token", length, 2, 9, 48) for length in (16, 32, 64, 128)]
         + [("token", 128, t, 9, 48) for t in (1, 4, 8)]
         + [("token", 128, 2, d, 48) for d in (8, 10, 11, 12)]
         + [("hashed", length, 64, 16, 192) for length in (16, 32, 64, 128)])


def cost_of(backend: str, length: int, t: int, d: int, width: int, min_time_s: float) -> dict:
    from projnet.config import ProjectionConfig, StudentConfig
    from projnet.device_bench.local import bench_in_subprocess
    from projnet.device_bench.runner import BenchSettings
    from projnet.export.student_conversion import convert_student
    from projnet.projection.student import build_student

    hidden = [] if backend == "token" else [width]
    student = build_student(length, 77, ProjectionConfig(backend=backend, num_functions=t, bits_per_function=d),
                            StudentConfig(hidden=hidden, token_dim=width))
    ids = np.random.default_rng(0).integers(-2**31, 2**31, size=(200, length), dtype=np.int64).astype(np.int32)
    ids[:, length // 2:] = 0  # half the row padding, as a typical text leaves it
    model = convert_student(student, "int8", ids)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "student.tflite"
        path.write_bytes(model)
        bench = bench_in_subprocess(path, BenchSettings(threads=1, min_time_s=min_time_s, warmup_runs=50))
    return {"backend": backend, "ids_per_row": length, "T": t, "d": d, "width": width,
            "hashes_per_row": length * t * (1 if backend == "token" else d), "size_bytes": len(model),
            "infer_p50_us": bench["latency_us"]["p50"], "infer_p90_us": bench["latency_us"]["p90"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--min-time", type=float, default=2.0)
    args = parser.parse_args()
    import_tensorflow_quietly()
    rows = []
    print(f"{'backend':8} {'L':>4} {'T':>3} {'d':>3} {'hashes':>7} {'KB':>7} {'p50 us':>8}")
    for case in CASES:
        row = cost_of(*case, min_time_s=args.min_time)
        rows.append(row)
        print(f"{row['backend']:8} {row['ids_per_row']:4} {row['T']:3} {row['d']:3} {row['hashes_per_row']:7} "
              f"{row['size_bytes'] / 1024:7.1f} {row['infer_p50_us']:8.1f}", flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"cases": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
