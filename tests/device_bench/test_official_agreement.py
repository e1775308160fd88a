"""benchmarks/official_agreement.py's arithmetic, with both tools replaced by recorded figures."""

from __future__ import annotations

import pytest

from benchmarks import official_agreement


@pytest.fixture
def tools(monkeypatch):
    def fake(ours: list[float], official: list[float]):
        ours_it, official_it = iter(ours), iter(official)
        monkeypatch.setattr(official_agreement, "bench_in_subprocess",
                            lambda model, settings: {"latency_us": {"p50": next(ours_it)}})
        monkeypatch.setattr(official_agreement, "official_median_us", lambda model, threads, runs: next(official_it))
    return fake


def test_median_of_rounds_and_the_15_percent_bar(tools, tmp_path):
    tools([6224.1, 6251.1, 6212.8], [6230.0, 6600.0, 6460.0])  # the README's float MLP rounds
    r = official_agreement.compare(tmp_path / "m.tflite", rounds=3, threads=1)
    assert r["device_bench_p50_us"] == 6224.1 and r["official_median_us"] == 6460.0
    assert r["ratio"] == 0.963 and r["official_resolves"] and r["within_15_percent"] is True
    tools([1000.0], [1200.0])
    assert official_agreement.compare(tmp_path / "m.tflite", rounds=1, threads=1)["within_15_percent"] is False


def test_a_model_below_the_official_resolution_is_recorded_not_divided(tools, tmp_path):
    """The digits student runs in ~1.5 us; the official tool prints 0.00 ms: this divided by zero."""
    tools([1.45, 1.43, 1.5], [0.0, 0.0, 10.0])
    r = official_agreement.compare(tmp_path / "student_int8.tflite", rounds=3, threads=1)
    assert r["device_bench_p50_us"] == 1.45 and r["official_median_us"] == 0.0
    assert r["ratio"] is None and r["official_resolves"] is False and r["within_15_percent"] is None
    assert r["official_rounds"] == [0.0, 0.0, 10.0]
