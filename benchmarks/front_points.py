"""Accuracy/size fronts shared by the text and image front benchmarks: budget table, plot, printout.

A point is {"kind": "student" | "baseline", "family", "name", "accuracy" (median over seeds),
"accuracy_runs", "size_bytes", "p50_us" (featurize + infer), "infer_p50_us", "command"}. A student's
"size_bytes" is its graph's, without the TFLite metadata it also ships ("metadata_bytes": labels,
featurizer spec, normalization), so that it compares like for like with a baseline's bare .tflite.
"""

from __future__ import annotations

from pathlib import Path


def graph_and_metadata_bytes(entry: dict) -> dict:
    """{"size_bytes", "metadata_bytes"} of a metrics.json model entry: the graph apart from its metadata."""
    metadata = entry.get("metadata_bytes", 0)
    return {"size_bytes": entry["size_bytes"] - metadata, "metadata_bytes": metadata}


def best_within(points: list[dict], kind: str, max_bytes: int) -> dict | None:
    """The most accurate point of `kind` whose file fits `max_bytes` (the smaller file on a tie)."""
    fitting = [p for p in points if p["kind"] == kind and p["size_bytes"] <= max_bytes]
    return max(fitting, key=lambda p: (p["accuracy"], -p["size_bytes"]), default=None)


def budget_rows(points: list[dict], budgets_kb, bars: dict[int, float] | None = None) -> list[dict]:
    """Per budget: the best student and best baseline at or under it, the student's lead (points), and
    where `bars` names an accuracy the student must reach at that budget, by how much it misses."""
    rows = []
    bars = bars or {}
    for kb in budgets_kb:
        student, baseline = best_within(points, "student", kb * 1024), best_within(points, "baseline", kb * 1024)
        lead = None if student is None or baseline is None else round(100 * (student["accuracy"] - baseline["accuracy"]), 2)
        rows.append({"budget_kb": kb, "student": student and student["name"], "student_accuracy": student and student["accuracy"],
                     "baseline": baseline and baseline["name"], "baseline_accuracy": baseline and baseline["accuracy"],
                     "student_lead_points": lead, "student_wins": lead is not None and lead >= 0})
        if kb in bars:
            short = None if student is None else round(100 * (bars[kb] - student["accuracy"]), 2)
            rows[-1].update(bar=bars[kb], bar_met=short is not None and short <= 0, bar_short_points=short)
    return rows


def family_rows(points: list[dict], budgets_kb, families) -> list[dict]:
    """Per budget and baseline family: its best point at or under the budget and the best student's lead over it."""
    rows = []
    for kb in budgets_kb:
        student = best_within(points, "student", kb * 1024)
        row = {"budget_kb": kb, "student": student and student["name"]}
        for family in families:
            best = best_within([p for p in points if p["family"] == family], "baseline", kb * 1024)
            row[family] = best and best["name"]
            row[f"{family}_accuracy"] = best and best["accuracy"]
            row[f"student_lead_over_{family}_points"] = (None if student is None or best is None else
                                                         round(100 * (student["accuracy"] - best["accuracy"]), 2))
        rows.append(row)
    return rows


def parse_budgets(parser, text: str) -> list[int]:
    """--budgets: whole KB, comma-separated, positive; a bad value is the parser's usage error."""
    try:
        budgets = [int(b) for b in text.split(",")]
    except ValueError:
        parser.error(f"--budgets takes whole KB, comma-separated. Received: {text!r}")
    if not budgets or min(budgets) < 1:
        parser.error(f"--budgets must be positive. Received: {text!r}")
    return budgets


def run_every_seed(seeds, students: dict, baselines, run_student, run_baseline, started: float) -> list[list[dict]]:
    """Per seed, every student (name -> settings) then every (family, size) baseline, each with a progress line."""
    import time

    runs_by_seed = []
    for seed in seeds:
        found = []
        for name, settings in students.items():
            print(f"[{time.time() - started:6.0f} s] seed {seed}: student {name}", flush=True)
            found.append(run_student(name, settings, seed))
        for family, size in baselines:
            print(f"[{time.time() - started:6.0f} s] seed {seed}: baseline {family} {size}", flush=True)
            found.append(run_baseline(family, size, seed))
        runs_by_seed.append(found)
    return runs_by_seed


def merge_seeds(runs_by_seed: list[list[dict]]) -> list[dict]:
    """One point per model: the median accuracy (and int8 agreement) over seeds with every seed's, seed 0's other figures."""
    import statistics

    points = []
    for per_seed in zip(*runs_by_seed):
        point = dict(per_seed[0])
        point["accuracy_runs"] = [p["accuracy"] for p in per_seed]
        point["accuracy"] = statistics.median(point["accuracy_runs"])
        if "agreement" in point:  # int8 top-1 = float top-1: a bar on the median, like accuracy
            point["agreement_runs"] = [p["agreement"] for p in per_seed]
            point["agreement"] = statistics.median(point["agreement_runs"])
        if "trainer_accuracy" in point:
            point["trainer_accuracy_runs"] = [p["trainer_accuracy"] for p in per_seed]
            point["trainer_accuracy"] = statistics.median(point["trainer_accuracy_runs"])
        points.append(point)
    return points


def print_front(result: dict) -> None:
    print(f"\n{result['dataset']}: trainer accuracy {result['trainer']['accuracy']:.4f} (median)")
    print(f"{'model':28} {'kind':9} {'accuracy':>8} {'runs':>22} {'KB':>8} {'p50 us':>8} {'infer us':>8}")
    for p in sorted(result["points"], key=lambda p: p["size_bytes"]):
        runs = "/".join(f"{a:.3f}" for a in p["accuracy_runs"])
        us = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731  fastText has no separate infer time
        print(f"{p['name']:28} {p['kind']:9} {p['accuracy']:8.4f} {runs:>22} {p['size_bytes'] / 1024:8.1f} "
              f"{us(p.get('p50_us')):>8} {us(p.get('infer_p50_us')):>8}")
    print(f"\n{'budget':>7} {'best student':28} {'acc':>7} {'best baseline':22} {'acc':>7} {'lead':>6}")
    for row in result["budgets"]:
        if row["student"] is None and row["baseline"] is None:
            print(f"{row['budget_kb']:>5}KB no student and no baseline fits in {row['budget_kb']} KB")
            continue
        acc = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
        lead = "-" if row["student_lead_points"] is None else f"{row['student_lead_points']:+.2f}"
        bar = ""
        if "bar" in row:
            bar = f"  bar {row['bar']:.3f}: " + ("met" if row["bar_met"] else f"missed by {row['bar_short_points']:.2f} points")
        print(f"{row['budget_kb']:>5}KB {row['student'] or '-':28} {acc(row['student_accuracy']):>7} "
              f"{row['baseline'] or '-':22} {acc(row['baseline_accuracy']):>7} {lead:>6}{bar}")


def plot_front(result: dict, path: Path) -> None:
    """Accuracy against .tflite size and against featurize + infer p50, students and baselines marked apart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    styles = {"student": ("o", "tab:blue"), "baseline": ("s", "tab:gray"), "plain MLP": ("s", "tab:gray"),
              "fasttext": ("^", "tab:orange"), "tiny CNN": ("D", "tab:brown")}
    latency = result.get("latency_label", "featurize + infer p50, one text, one thread (us, log scale)")
    for ax, key, label in ((axes[0], "size_bytes", "model file size (KB, log scale)"), (axes[1], "p50_us", latency)):
        for p in result["points"]:
            if p.get(key) is None:
                continue
            kind = p.get("style") or ("fasttext" if p["family"] == "fasttext" else p["kind"])
            marker, color = styles[kind]
            x = p[key] / 1024 if key == "size_bytes" else p[key]
            ax.scatter(x, 100 * p["accuracy"], marker=marker, color=color, s=36, zorder=3)
            ax.annotate(p["name"], (x, 100 * p["accuracy"]), fontsize=6.5, xytext=(3, 3), textcoords="offset points")
        ax.axhline(100 * result["trainer"]["accuracy"], color="tab:green", linestyle="--", linewidth=1,
                   label=f"trainer {100 * result['trainer']['accuracy']:.1f}% (not shipped)")
        if key == "size_bytes":
            for kb in result["budgets_kb"]:
                ax.axvline(kb, color="0.85", linewidth=0.8, zorder=0)
            for row in result["budgets"]:
                if "bar" in row:  # the accuracy the student must reach at or under this budget
                    ax.hlines(100 * row["bar"], 0, row["budget_kb"], color="tab:red", linestyle=":", linewidth=1.2)
                    ax.annotate(f"bar {100 * row['bar']:.1f}% at <= {row['budget_kb']} KB", (row["budget_kb"], 100 * row["bar"]),
                                fontsize=7, color="tab:red", xytext=(-4, 3), textcoords="offset points", ha="right")
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        lo, hi = ax.get_xlim()
        ticks = (8, 16, 32, 64, 128, 256, 512, 1024) if key == "size_bytes" else (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
        ax.set_xticks([t for t in ticks if lo <= t <= hi])
        ax.set_xlim(lo, hi)
        ax.set_xlabel(label)
        ax.set_ylabel("test accuracy (%, median of seeds)")
        ax.grid(alpha=0.3)
    shown = {p.get("style") or ("fasttext" if p["family"] == "fasttext" else p["kind"]) for p in result["points"]}
    handles = [plt.Line2D([], [], marker=m, color=c, linestyle="", label=k) for k, (m, c) in styles.items() if k in shown]
    axes[0].legend(handles=handles + [axes[0].get_lines()[0]], fontsize=8, loc="best")
    fig.suptitle(f"{result['dataset']}: int8 students vs what a user would ship instead (seeds {result['seeds']})")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)


def markdown(result: dict) -> str:
    """The budget table and every point, as markdown for the README."""
    acc = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
    us = lambda v: "-" if v is None else f"{v:.0f}"  # noqa: E731
    by_name = {p["name"]: p for p in result["points"]}
    lines = ["| budget | best int8 student | accuracy (seeds) | size | best baseline | accuracy (seeds) | size | student lead |",
             "|---|---|---|---|---|---|---|---|"]
    for row in result["budgets"]:
        s, b = by_name.get(row["student"]), by_name.get(row["baseline"])
        cell = lambda p: ("-", "-", "-") if p is None else (  # noqa: E731
            f"`{p['name']}`", f"{p['accuracy']:.4f} ({'/'.join(f'{a:.3f}' for a in p['accuracy_runs'])})",
            f"{p['size_bytes'] / 1024:.1f} KB")
        lead = "-" if row["student_lead_points"] is None else f"{row['student_lead_points']:+.2f} points"
        lines.append(f"| <= {row['budget_kb']} KB | " + " | ".join(cell(s)) + " | " + " | ".join(cell(b)) + f" | {lead} |")
    if "by_family" in result:  # images: the student beside each baseline family's front
        families = [k for k in result["by_family"][0] if f"{k}_accuracy" in result["by_family"][0]]
        lines += ["", "| budget | best student | " + " | ".join(f"best {f} | student lead over {f}" for f in families) + " |",
                  "|---|---|" + "---|---|" * len(families)]
        for row in result["by_family"]:
            s = by_name.get(row["student"])
            cells = [f"`{s['name']}` {s['accuracy']:.4f} ({s['size_bytes'] / 1024:.1f} KB)" if s else "-"]
            for f in families:
                b = by_name.get(row[f])
                lead = row[f"student_lead_over_{f}_points"]
                cells += [f"`{b['name']}` {b['accuracy']:.4f} ({b['size_bytes'] / 1024:.1f} KB)" if b else "-",
                          "-" if lead is None else f"{lead:+.2f} points"]
            lines.append(f"| <= {row['budget_kb']} KB | " + " | ".join(cells) + " |")
    text = any("infer_p50_us" in p for p in result["points"])  # text fronts time featurize + infer and infer alone
    header = "| model | kind | accuracy (median) | size | featurize + infer p50 | infer p50 |" if text else \
        "| model | kind | accuracy (median; seeds) | size | p50, one image |"
    lines += ["", header, "|---|---|---|---|---|---|" if text else "|---|---|---|---|---|"]
    for p in sorted(result["points"], key=lambda p: p["size_bytes"]):
        if text:
            lines.append(f"| `{p['name']}` | {p['kind']} | {acc(p['accuracy'])} | {p['size_bytes'] / 1024:.1f} KB | "
                         f"{us(p.get('p50_us'))} us | {us(p.get('infer_p50_us'))} us |")
        else:
            runs = "/".join(f"{a:.3f}" for a in p["accuracy_runs"])
            lines.append(f"| `{p['name']}` | {p.get('style') or p['kind']} | {acc(p['accuracy'])} ({runs}) | "
                         f"{p['size_bytes'] / 1024:.1f} KB | {p.get('p50_us', 0):.1f} us |")
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys

    print(markdown(json.loads(Path(sys.argv[1]).read_text())))
