"""The sweep's table and plot: accuracy against .tflite size and against one-thread p50 latency."""

from __future__ import annotations

from pathlib import Path


MARKERS = {"dense": "s", "structured": "o", "lsh": "^"}  # shape: projection backend
COLORS = {"int8": "tab:blue", "qat": "tab:green", "dynamic": "tab:orange", "float16": "tab:purple",
          "float": "tab:red"}  # colour: quantization mode


def baseline_front(points: list[dict]) -> list[tuple[float, float]]:
    """(size_bytes, accuracy) of the baselines, sorted by size, keeping only points no smaller one beats."""
    front, best = [], -1.0
    for p in sorted(points, key=lambda p: p["size_bytes"]):
        if p["accuracy"] > best:
            front.append((p["size_bytes"], p["accuracy"]))
            best = p["accuracy"]
    return front


def front_accuracy_at(front: list[tuple[float, float]], size: float) -> float:
    """The best baseline accuracy reachable at `size` bytes or fewer (0 when none is that small)."""
    return max((acc for s, acc in front if s <= size), default=0.0)


def annotate(results: dict) -> list[dict]:
    """Every point, with `vs_baseline`: its accuracy minus the best baseline of at most its size."""
    points = [{"id": k, **v} for k, v in results["points"].items()]
    front = baseline_front([p for p in points if p["kind"] == "baseline"])
    for p in points:
        p["vs_baseline"] = p["accuracy"] - front_accuracy_at(front, p["size_bytes"])
    return sorted(points, key=lambda p: (p["kind"], p["size_bytes"]))


def print_table(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Fashion-MNIST: accuracy, .tflite size, p50 (1 thread)")
    for column in ("point", "accuracy", "size", "p50", "bit flips", "vs baseline front"):
        table.add_column(column, justify="left" if column == "point" else "right", no_wrap=True,
                         min_width=28 if column == "point" else None)
    for p in annotate(results):
        flips = f"{p['bit_flip_rate']:.4f}" if "bit_flip_rate" in p else "-"
        table.add_row(p["id"], f"{p['accuracy']:.4f}", f"{p['size_bytes'] / 1024:.1f} KB", f"{p['p50_us']:.1f} us",
                      flips, f"{p['vs_baseline']:+.4f}")
    Console().print(table)


def plot_pareto(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from projnet.atomic_io import atomic_write_with

    points = annotate(results)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for ax, key, label in ((axes[0], "size_bytes", ".tflite size (KB)"), (axes[1], "p50_us", "p50 latency (us, 1 thread)")):
        scale = 1 / 1024 if key == "size_bytes" else 1.0
        base = sorted((p for p in points if p["kind"] == "baseline"), key=lambda p: p["size_bytes"])
        ax.plot([p[key] * scale for p in base], [p["accuracy"] for p in base],
                "k--o" if key == "size_bytes" else "ko", label="plain MLP int8 (labels only)")
        for p in points:
            if p["kind"] == "projnet":
                ax.scatter(p[key] * scale, p["accuracy"], s=34, marker=MARKERS[p["backend"]],
                           color=COLORS[p["quant"]], edgecolors="black", linewidths=0.3)
        ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("test accuracy")
        ax.grid(True, alpha=0.3)
    axes[0].axvline(64, color="grey", lw=0.8)
    axes[0].axhline(0.85, color="grey", lw=0.8)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="black", linestyle="--", marker="o", label="plain MLP int8 (labels only)")]
    handles += [Line2D([], [], linestyle="", marker=m, color="grey", label=b) for b, m in MARKERS.items()]
    handles += [Line2D([], [], linestyle="", marker="o", color=c, label=q) for q, c in COLORS.items()]
    axes[1].legend(handles=handles, fontsize=7, loc="lower right")
    fig.suptitle("projnet students vs plain int8 MLPs on Fashion-MNIST")
    fig.tight_layout()
    atomic_write_with(path, lambda p: fig.savefig(p, format="png", dpi=110))
    plt.close(fig)


def summary(results: dict) -> dict:
    """The issue's must-show figures, read from the points (None where a point is missing)."""
    points = {p["id"]: p for p in annotate(results)}
    small = [p for p in points.values() if p["kind"] == "projnet" and p["quant"] in ("int8", "qat")
             and p["size_bytes"] <= 64 * 1024]
    best_small = max(small, key=lambda p: p["accuracy"], default=None)
    dense, structured = points.get("dense-T64-d8-h128-int8"), points.get("structured-T64-d8-h128-int8")
    qat_deltas = {pid.replace("-qat", ""): p["accuracy"] - points[pid.replace("-qat", "-int8")]["accuracy"]
                  for pid, p in points.items() if pid.endswith("-qat") and pid.replace("-qat", "-int8") in points}
    projnet = [p for p in points.values() if p["kind"] == "projnet" and p["quant"] in ("int8", "qat")]
    return {
        "best_projnet_int8_under_64kb": best_small and {k: best_small[k] for k in ("id", "accuracy", "size_bytes")},
        "structured_vs_dense_T64_d8_h128_int8": dense and structured and {
            "size_ratio": structured["size_bytes"] / dense["size_bytes"],
            "accuracy_delta": structured["accuracy"] - dense["accuracy"], "structured_p50_us": structured["p50_us"]},
        "qat_minus_int8_accuracy": qat_deltas,
        "int8_students_on_or_above_baseline_front": sum(p["vs_baseline"] >= 0 for p in projnet),
        "int8_students": len(projnet),
        "best_vs_baseline": max((p["vs_baseline"] for p in projnet), default=None),
    }
