"""One picture of several benchmarked models: p50 latency (p90 as whisker), size, and test accuracy
where the model's run directory recorded it."""

from __future__ import annotations

import json
from pathlib import Path

from projnet.atomic_io import atomic_write_with
from projnet.errors import ProjnetError


def recorded_accuracy(model_path: str) -> float | None:
    """The test accuracy metrics.json beside the model gives for it (student_int8.tflite -> student_int8)."""
    path = Path(model_path)
    metrics_path = path.parent / "metrics.json"
    try:
        metrics = json.loads(metrics_path.read_text())
    except (OSError, ValueError):
        return None
    entry = metrics.get(path.stem, {})
    if "accuracy" not in entry and path.stem == "trainer_float":
        entry = metrics.get("trainer", {})
    value = entry.get("accuracy") if isinstance(entry, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def plot_comparison(results: list[dict], path: Path) -> None:
    try:  # a device install ('projnet[device]') has no matplotlib
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ProjnetError(f"--plot needs matplotlib, which is not installed here: pip install matplotlib "
                           f"({path} was not drawn)") from None

    labels = [f"{Path(r['model']).parent.name}/\n{Path(r['model']).name}" for r in results]
    accuracies = [recorded_accuracy(r["model"]) for r in results]
    panels = 3 if any(a is not None for a in accuracies) else 2
    fig, axes = plt.subplots(1, panels, figsize=(4.5 * panels, 0.6 * len(results) + 2.5))
    positions = range(len(results))
    p50 = [r["latency_us"]["p50"] for r in results]
    p90 = [r["latency_us"].get("p90", r["latency_us"]["p50"]) for r in results]  # adb's tool prints no p90
    axes[0].barh(positions, p50, xerr=[[0] * len(p50), [b - a for a, b in zip(p50, p90)]], color="tab:blue")
    axes[0].set(xlabel=f"latency p50 (whisker: p90), us, {results[0]['threads']} thread(s)", title="latency")
    axes[1].barh(positions, [r["size_bytes"] / 1024 for r in results], color="tab:orange")
    axes[1].set(xlabel="size, KB", title="size")
    if panels == 3:
        axes[2].barh(positions, [a or 0.0 for a in accuracies], color="tab:green")
        axes[2].set(xlabel="test accuracy (from the run's metrics.json)", title="accuracy", xlim=(0, 1))
    for i, ax in enumerate(axes):
        ax.set_yticks(list(positions), labels if i == 0 else [""] * len(labels))
        ax.invert_yaxis()
    fig.suptitle(f"device_bench ({results[0]['runtime']}, {results[0]['host']['machine']})")
    fig.tight_layout()
    atomic_write_with(path, lambda tmp: fig.savefig(tmp, dpi=100))
    plt.close(fig)
