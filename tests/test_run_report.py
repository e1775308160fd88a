"""The run's table keeps every figure on screen at any width, and names the baseline that fits."""

import pytest
from rich.console import Console

from projnet.run_report import render_markdown, rich_table, table_rows


def _entry(accuracy, size, p50):
    return {"accuracy": accuracy, "agreement": 0.9916, "size_bytes": size, "latency_us": {"p50": p50},
            "peak_rss_mb": 53.7, "ops": ["GATHER"] * 21, "bit_flip_rate": 0.0}


METRICS = {
    "dataset": "banking77", "quant": "int8", "size_ratio_int8_to_trainer": 0.0036,
    "trainer": {"accuracy": 0.8968, "params": 4230733}, "student": {"accuracy": 0.8958, "params": 52000, "bits": 18},
    "trainer_float": _entry(0.8968, 16_927_892, 5.0), "student_float": _entry(0.8958, 217_600, 8.9),
    "student_int8": _entry(0.8961, 61_540, 19.3),
    "baseline": {"family": "hashed_linear", "size": 512, "accuracy": 0.8808, "size_bytes": 45_432},
    "bench": {"runtime": "ai_edge_litert", "threads": 1, "machine": "x86_64 Linux"},
}


@pytest.mark.parametrize("width", [60, 100])
def test_every_figure_is_on_screen(width):
    console = Console(width=width, record=True, color_system=None)
    console.print(rich_table(METRICS, width))
    screen = console.export_text()
    assert max(len(line) for line in screen.splitlines()) <= width
    for row in table_rows(METRICS):
        for cell in row:
            assert cell in screen, (width, cell)


def test_sizes_read_in_kb_and_mb_and_the_baseline_verdict():
    rows = {r[0]: r for r in table_rows(METRICS)}
    assert rows["trainer float"][3] == "16.1 MB" and rows["student int8"][3] == "60.1 KB"
    assert rows["baseline int8 (512 buckets)"][1:4] == ("0.8808", "-", "44.4 KB")
    report = render_markdown(METRICS)
    assert "The student is 1.53 points ahead of it." in report
    behind = {**METRICS, "baseline": {**METRICS["baseline"], "accuracy": 0.9}}
    assert "0.39 points behind it: at this size a user would ship the baseline." in render_markdown(behind)
