"""`projnet pipeline-bench`: repeats are interleaved and summarised by each engine's median run."""

import json

import pytest
from typer.testing import CliRunner

from projnet.cli import app
from projnet.trainer.pipeline_bench import summarise_repeats
from tests.helpers import one_line_error


def _run(engine: str, samples_per_s: float, accuracy: float) -> dict:
    return {"engine": engine, "samples_per_s": samples_per_s, "test_accuracy": accuracy,
            "student_test_accuracy": accuracy - 0.1}


def test_each_engine_reports_its_median_run_and_every_runs_figures():
    runs = {"bp": [_run("bp", 100.0, 0.80), _run("bp", 90.0, 0.81), _run("bp", 110.0, 0.82)],
            "sideways": [_run("sideways", 170.0, 0.70), _run("sideways", 140.0, 0.71), _run("sideways", 160.0, 0.72)]}
    engines, speedups = summarise_repeats(runs)
    assert engines["bp"]["samples_per_s"] == 100.0 and engines["bp"]["test_accuracy"] == 0.80  # the median run, whole
    assert engines["sideways"]["samples_per_s"] == 160.0 and engines["sideways"]["test_accuracy"] == 0.72
    assert engines["sideways"]["samples_per_s_runs"] == [170.0, 140.0, 160.0]
    assert engines["bp"]["test_accuracy_runs"] == [0.80, 0.81, 0.82]
    assert speedups["sideways"]["median_ratio"] == pytest.approx(1.6)
    assert speedups["sideways"]["pair_ratios"] == pytest.approx([1.7, 140 / 90, 160 / 110])
    assert "bp" not in speedups


def test_an_even_number_of_runs_takes_the_lower_median_a_real_run():
    engines, speedups = summarise_repeats({"sideways": [_run("sideways", 2.0, 0.5), _run("sideways", 1.0, 0.4)]})
    assert engines["sideways"]["samples_per_s"] == 1.0 and engines["sideways"]["test_accuracy"] == 0.4
    assert speedups == {}  # no bp run to compare with


def test_pipeline_bench_runs_engines_interleaved_and_writes_the_report(tmp_path):
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(app, ["pipeline-bench", "--dataset", "digits", "--stages", "2", "--engines",
                                      "bp,sideways", "--epochs", "3", "--batch-size", "32", "--trainer-hidden",
                                      "32,32", "--learning-rate", "3e-3", "--repeats", "2", "--json",
                                      str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["stages"] == 2 and report["repeats"] == 2 and set(report["engines"]) == {"bp", "sideways"}
    for engine in report["engines"].values():
        assert len(engine["samples_per_s_runs"]) == 2 and engine["samples_per_s"] in engine["samples_per_s_runs"]
        assert engine["test_accuracy"] in engine["test_accuracy_runs"] and engine["peak_rss_mb"] > 0
        assert min(engine["test_accuracy_runs"]) > 0.3  # chance is 0.1: each run really trained
    assert len(report["speedup_vs_bp"]["sideways"]["pair_ratios"]) == 2
    assert [row["stages"] for row in report["simulated"]] == list(range(2, 17))
    assert f"{report['speedup_vs_bp']['sideways']['median_ratio']:.2f}x" in result.output  # the table's vs-bp column
    for run, engine in ((1, "bp"), (2, "sideways"), (3, "bp"), (4, "sideways")):  # each child's epochs, as they end
        for epoch in (1, 2, 3):
            assert f"run {run}/4: {engine} x2 epoch {epoch}/3 val acc trainer" in result.output, result.output


def test_a_bp_warmup_run_counts_its_backprop_epochs_at_bp_rate_in_the_whole_run_figure(tmp_path):
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(app, ["pipeline-bench", "--dataset", "digits", "--stages", "2", "--engines",
                                      "bp,sideways+bp_warmup", "--epochs", "4", "--warmup-epochs", "1",
                                      "--batch-size", "32", "--trainer-hidden", "32,32", "--learning-rate", "3e-3",
                                      "--json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    warm, bp = report["engines"]["sideways+bp_warmup"], report["engines"]["bp"]
    expected = 4 / (1 / bp["samples_per_s"] + 3 / warm["samples_per_s"])
    assert warm["whole_run_samples_per_s"] == pytest.approx(expected)
    assert report["speedup_vs_bp"]["sideways+bp_warmup"]["whole_run_ratio"] == pytest.approx(expected / bp["samples_per_s"])
    assert warm["test_accuracy"] > 0.3 and report["warmup_epochs"] == 1
    assert "whole run" in result.output


def test_pipeline_bench_refuses_zero_repeats():
    result = CliRunner().invoke(app, ["pipeline-bench", "--repeats", "0"])
    assert result.exit_code == 2


@pytest.mark.parametrize("args, message", [
    (["--dataset", "banking77"], "error: pipeline-bench trains float-feature trainers; banking77 has text ids"),
    (["--dataset", "nope"], "error: unknown data set 'nope'; known: digits, fashion_mnist, banking77, csv:PATH"),
    (["--plot", "plan.txt"], "error: --plot writes a PNG file: name it FILE.png."),
    (["--engines", "bp,dni+age_lr"], "error: pipeline.staleness=age_lr corrects stale gradients, and "
                                     "pipeline.engine=dni has none"),
    (["--engines", "sideways+pipemare"], "error: --engines takes a comma list of bp, sideways, dni, each optionally "
                                         "+METHOD (age_lr, bp_warmup, stash, weight_stash, age_lr+weight_stash, age_lr+bp_warmup). "
                                         "Received: 'sideways+pipemare'"),
    (["--engines", "sideways+bp_warmup", "--epochs", "2", "--warmup-epochs", "2"],
     "error: --warmup-epochs 2 of backprop leave none of --epochs 2 to the pipeline"),
])
def test_pipeline_bench_refuses_bad_input_before_any_engine_starts(args, message, tmp_path, monkeypatch):
    """These used to fail inside the first engine's process (a TypeError, a `projnet.errors.UsageError:` prefix)."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["pipeline-bench", *args])
    assert result.exit_code == 2
    assert one_line_error(result.stderr).startswith(message)
    assert "training" not in result.stderr and list(tmp_path.iterdir()) == []


def test_pipeline_bench_keeps_a_dense_student_where_the_default_one_convolves():
    from projnet.trainer.pipeline_bench import BenchSpec, _run_config

    config = _run_config(BenchSpec(engine="sideways", stages=2, dataset="fashion_mnist"))
    assert (config.projection.backend, config.student.conv_filters, config.student.hidden) == ("dense", [], [128])
