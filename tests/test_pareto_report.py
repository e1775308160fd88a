"""The sweep's front arithmetic: which baselines form the front and how far a student sits from it."""

import pytest

from benchmarks.experiments.pareto_report import annotate, baseline_front, front_accuracy_at, summary


def _results():
    points = {
        "baseline-mlp-h8-int8": {"kind": "baseline", "accuracy": 0.83, "size_bytes": 8000, "p50_us": 3.0},
        "baseline-mlp-h16-int8": {"kind": "baseline", "accuracy": 0.86, "size_bytes": 15000, "p50_us": 3.0},
        "baseline-mlp-h24-int8": {"kind": "baseline", "accuracy": 0.85, "size_bytes": 20000, "p50_us": 3.0},
        "structured-T64-d8-h16-int8": {"kind": "projnet", "backend": "structured", "quant": "int8",
                                       "accuracy": 0.87, "size_bytes": 30000, "p50_us": 9.0},
        "structured-T64-d8-h16-qat": {"kind": "projnet", "backend": "structured", "quant": "qat",
                                      "accuracy": 0.8675, "size_bytes": 29000, "p50_us": 9.0},
        "dense-T64-d8-h128-int8": {"kind": "projnet", "backend": "dense", "quant": "int8",
                                   "accuracy": 0.82, "size_bytes": 400000, "p50_us": 20.0},
    }
    return {"settings": {}, "points": points}


def test_front_keeps_only_baselines_no_smaller_one_beats():
    points = [p for p in _results()["points"].values() if p["kind"] == "baseline"]
    assert baseline_front(points) == [(8000, 0.83), (15000, 0.86)]
    assert front_accuracy_at(baseline_front(points), 14999) == 0.83
    assert front_accuracy_at(baseline_front(points), 100) == 0.0


def test_students_are_measured_against_the_best_baseline_of_at_most_their_size():
    by_id = {p["id"]: p for p in annotate(_results())}
    assert by_id["structured-T64-d8-h16-int8"]["vs_baseline"] == pytest.approx(0.01)
    assert by_id["dense-T64-d8-h128-int8"]["vs_baseline"] == pytest.approx(-0.04)
    s = summary(_results())
    assert s["int8_students_on_or_above_baseline_front"] == 2 and s["int8_students"] == 3
    assert s["qat_minus_int8_accuracy"] == {"structured-T64-d8-h16": pytest.approx(-0.0025)}
    assert s["best_projnet_int8_under_64kb"]["id"] == "structured-T64-d8-h16-int8"
