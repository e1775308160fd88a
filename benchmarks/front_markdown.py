"""The README's tables of a text front, written from its JSON, so the figures are never typed by hand.

    .venv/bin/python -m benchmarks.front_markdown benchmarks/results/text_front_hwu64.json

prints the budget table (best student and best baseline at or under each budget, every seed's accuracy)
and the per-model table (size order; featurize + infer and infer p50; int8 agreement per seed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _seeds(values: list[float]) -> str:
    return "/".join(f"{v:.3f}" for v in values)


def _kb(size_bytes: int) -> str:
    return f"{size_bytes / 1024:.1f} KB"


def _us(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} us"


def budget_table(result: dict) -> list[str]:
    by_name = {p["name"]: p for p in result["points"]}
    lines = ["| budget | best int8 student | accuracy (seeds) | size | best baseline | accuracy (seeds) | size | student lead |",
             "|---|---|---|---|---|---|---|---|"]
    for row in result["budgets"]:
        cells = [f"<= {row['budget_kb']} KB"]
        for key in ("student", "baseline"):
            point = by_name.get(row[key]) if row[key] else None
            if point is None:
                cells += ["-", "-", "-"]
                continue
            cells += [f"`{point['name']}`", f"{point['accuracy']:.4f} ({_seeds(point['accuracy_runs'])})",
                      _kb(point["size_bytes"])]
        lead = row["student_lead_points"]
        cells.append("-" if lead is None else f"{lead:+.2f} points")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def model_table(result: dict, default: str | None) -> list[str]:
    lines = ["| model | kind | accuracy (median) | size | featurize + infer p50 | infer p50 | int8 = float top-1 (seeds) |",
             "|---|---|---|---|---|---|---|"]
    for p in sorted(result["points"], key=lambda p: p["size_bytes"]):
        kind = p["kind"] + (" (default)" if p["name"] == default else "")
        if p["family"] == "fasttext":
            kind = "baseline (fastText `.ftz`, C++)"
        agreement = " / ".join(f"{a:.4f}" for a in p.get("agreement_runs", [])) or "-"
        lines.append(f"| `{p['name']}` | {kind} | {p['accuracy']:.4f} | {_kb(p['size_bytes'])} | {_us(p.get('p50_us'))} "
                     f"| {_us(p.get('infer_p50_us'))} | {agreement} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("front", type=Path, help="a benchmarks/text_front.py JSON")
    parser.add_argument("--default", default="token_T2_d9_E48", help="the student to mark as the default")
    args = parser.parse_args(argv)
    try:
        result = json.loads(args.front.read_text())
    except (OSError, ValueError) as error:
        print(f"error: cannot read {args.front}: {error}", file=sys.stderr)
        return 1
    trainer = result["trainer"]
    print("\n".join(budget_table(result)))
    print()
    print("\n".join(model_table(result, args.default)))
    print(f"\ntrainer: {trainer['accuracy']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
