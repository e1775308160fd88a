"""Text end to end on BANKING77: a reduced run through the CLI, `projnet predict`, the TF-free text bench.

The must-show figures (trainer >= 0.88, student int8 >= 0.84, p50 <= 1 ms) come from the default
20-epoch run in benchmarks/text_end_to_end.py; this run is 4 epochs with a smaller trainer, so its
floors are lower, but parity (ids, bits, top-1) is checked exactly as there.
"""

import io
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from projnet.cli import app
from tests.helpers import one_line_error, require_banking77

runner = CliRunner()
REDUCED = ["--set", "train.epochs=4", "--set", "trainer.buckets=16384", "--set", "bench.min_time_s=0.05",
           "--set", "export.representative_samples=200", "--quiet"]


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    require_banking77()
    out = tmp_path_factory.mktemp("runs") / "banking77"
    result = runner.invoke(app, ["train-and-export", "--dataset", "banking77", "--out", str(out), *REDUCED])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def metrics(text_run):
    return json.loads((text_run / "metrics.json").read_text())


def test_reduced_run_accuracy_size_and_parity(text_run, metrics):
    int8, float_ = metrics["student_int8"], metrics["student_float"]
    # measured 0.809 and 0.818 here; the full 20-epoch run: 0.897 and 0.862
    assert metrics["trainer"]["accuracy"] >= 0.78 and int8["accuracy"] >= 0.79, (metrics["trainer"], int8["accuracy"])
    assert int8["size_bytes"] <= 256 * 1024 and float_["size_bytes"] > 3 * int8["size_bytes"]
    assert metrics["featurizer_parity"] == {"rows": 3080, "identical_rows": 3080, "differing_ids": 0}
    assert int8["bit_flip_rate"] == 0.0 and float_["bit_flip_rate"] == 0.0  # integer hashing: exact bits
    assert float_["agreement"] == 1.0 and int8["agreement"] >= 0.98
    assert "FULLY_CONNECTED" in int8["ops"] and "QUANTIZE" in int8["ops"]


def test_report_names_the_hashed_linear_baseline_trained_in_the_same_run(text_run, metrics):
    baseline, int8 = metrics["baseline"], metrics["student_int8"]
    assert baseline["family"] == "hashed_linear" and baseline["size_bytes"] <= int8["size_bytes"]
    assert baseline["size_bytes"] > int8["size_bytes"] / 2.5  # the most buckets that fit, not a token one
    assert baseline["accuracy"] >= 0.87 and baseline["agreement"] >= 0.98  # measured 0.894 at 2^11 buckets
    report = (text_run / "report.md").read_text()
    assert f"| baseline int8 ({baseline['size']} buckets) | {baseline['accuracy']:.4f} |" in report
    assert f"hashed TF-IDF linear, {baseline['size']} buckets" in report


def test_baseline_command_ships_a_model_the_text_bench_runs(tmp_path):
    require_banking77()
    out = tmp_path / "baseline"
    result = runner.invoke(app, ["baseline", "--dataset", "banking77", "--size", "256", "--out", str(out)])
    assert result.exit_code == 0, result.output
    figures = json.loads((out / "metrics.json").read_text())["baseline"]
    assert figures["size_bytes"] < 32 * 1024 and figures["accuracy"] >= 0.84  # measured 0.859
    assert figures["command"] == "projnet baseline --dataset banking77 --family hashed_linear --size 256 --seed 0"
    assert (out / "baseline_int8.featurizer.json").is_file()
    again = runner.invoke(app, ["baseline", "--dataset", "banking77", "--size", "256", "--out", str(out)])
    assert again.exit_code == 1 and "already exists" in again.output


@pytest.mark.parametrize("args, message", [
    (["--family", "svm"], "error: --family must be one of: hashed_linear, embedding_bag, mlp, cnn. Received: 'svm'"),
    (["--size", "1"], "error: --size must be between 2 and 1048576. Received: 1"),
    (["--dataset", "digits"], "error: --family hashed_linear takes ids inputs but digits has dense inputs; "
                              "use one of: mlp, cnn"),
    (["--dataset", "banking77", "--family", "cnn"], "error: --family cnn takes dense inputs but banking77 has ids "
                                                    "inputs; use one of: hashed_linear, embedding_bag"),
])
def test_baseline_command_refuses_bad_input_in_one_line(args, message, tmp_path):
    done = subprocess.run([sys.executable, "-m", "projnet.cli", "baseline", "--out", str(tmp_path / "b"), *args],
                          capture_output=True, text=True)
    assert done.returncode in (1, 2) and one_line_error(done.stderr) == message
    assert not (tmp_path / "b").exists()


def test_featurizer_spec_ships_beside_each_student(text_run):
    from projnet.device_bench.text_featurizer import load_spec

    categories = json.loads((require_banking77() / "categories.json").read_text())
    for name in ("student_int8", "student_float"):
        spec = load_spec(text_run / f"{name}.featurizer.json")  # also re-checks its test vectors
        assert spec.labels == categories and spec.max_ids == 128 and len(spec.test_vectors) == 7
        assert spec.test_vectors[0] == {"text": "", "ids": [0] * 128}


def test_text_bench_runs_without_tensorflow_and_matches_export_accuracy(text_run, metrics):
    done = subprocess.run([sys.executable, "-m", "projnet.device_bench.text_bench", str(text_run / "student_int8.tflite"),
                           str(require_banking77() / "test.csv"), "--min-time", "0.01"],
                          capture_output=True, text=True, check=True)
    bench = json.loads(done.stdout)
    assert bench["tensorflow_imported"] is False and bench["texts"] == 3080
    assert bench["accuracy"] == pytest.approx(metrics["student_int8"]["accuracy"], abs=1e-12)
    assert bench["latency_us"]["featurize_and_infer"]["p50"] < 20_000  # generous: a shared 2-core machine


def test_predict_prints_top_k_and_json(text_run):
    model = str(text_run / "student_int8.tflite")
    result = runner.invoke(app, ["predict", model, "I am still waiting on my card?", "--top-k", "2"])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.strip().splitlines()
    label, p1, _, p2 = line.split()
    assert label == "card_arrival" and 1.0 >= float(p1) >= float(p2) > 0.0
    result = runner.invoke(app, ["predict", model, "--json"], input=b"exchange rate?\nmy card \xff\xfe was stolen\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in result.stdout.strip().splitlines()]
    assert [len(r["top"]) for r in rows] == [3, 3] and rows[1]["text"] == "my card \ufffd\ufffd was stolen"
    assert sum(t["probability"] for t in rows[0]["top"]) <= 1.0 and rows[0]["truncated"] is False
    long = runner.invoke(app, ["predict", model, "--json", "card " * 400])
    assert json.loads(long.stdout)["truncated"] is True


@pytest.mark.parametrize("args, stdin, message", [
    (["  ?! "], None, "error: text 1: empty text: it has no letters or digits to classify; pass --skip-empty"),
    ([], b"lost card\n\n", "error: line 2: empty text: it has no letters or digits to classify; pass --skip-empty"),
])
def test_predict_refuses_empty_text_in_one_line(text_run, args, stdin, message):
    result = runner.invoke(app, ["predict", str(text_run / "student_int8.tflite"), *args], input=stdin)
    assert result.exit_code == 1 and one_line_error(result.stderr).startswith(message)


def test_predict_skip_empty_classifies_the_rest_and_counts_what_it_skipped(text_run):
    model = str(text_run / "student_int8.tflite")
    result = runner.invoke(app, ["predict", model, "--skip-empty"], input=b"lost card\n\n?!\nexchange rate\n")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 2  # lines 1 and 4
    assert result.stderr.strip() == "skipped 2 empty line(s): 2, 3"
    result = runner.invoke(app, ["predict", model, "--skip-empty", "...", "my card was stolen"])
    assert result.exit_code == 0 and len(result.stdout.strip().splitlines()) == 1
    assert result.stderr.strip() == "skipped 1 empty text(s): 1"


def test_predict_refuses_a_missing_or_mismatched_spec(text_run, tmp_path):
    # alone, the model classifies with the featurizer inside its metadata, as beside its spec
    lonely = tmp_path / "m.tflite"
    lonely.write_bytes((text_run / "student_int8.tflite").read_bytes())
    alone = runner.invoke(app, ["predict", str(lonely), "where is my card?", "--json"])
    beside = runner.invoke(app, ["predict", str(text_run / "student_int8.tflite"), "where is my card?", "--json"])
    assert alone.exit_code == 0 and alone.stdout == beside.stdout and alone.stderr == ""
    # a spec that is not the one the metadata names (SHA-256) is refused, before its labels could mislabel
    doc = json.loads((text_run / "student_int8.featurizer.json").read_text())
    doc["labels"] = ["a", "b"]
    (tmp_path / "two.json").write_text(json.dumps(doc))
    result = runner.invoke(app, ["predict", str(text_run / "student_int8.tflite"), "hi", "--spec", str(tmp_path / "two.json")])
    assert result.exit_code == 1 and "two.json is another featurizer than the one" in one_line_error(result.stderr)
    # the baseline's model has no metadata: it works from the spec beside it, and says what it lacks
    baseline = tmp_path / "baseline"
    assert runner.invoke(app, ["baseline", "--dataset", "banking77", "--size", "64", "--out", str(baseline)]).exit_code == 0
    plain = runner.invoke(app, ["predict", str(baseline / "baseline_int8.tflite"), "hi"])
    assert plain.exit_code == 0 and "lacks TFLite Model Metadata" in plain.stderr
    missing = tmp_path / "plain.tflite"
    missing.write_bytes((baseline / "baseline_int8.tflite").read_bytes())
    result = runner.invoke(app, ["predict", str(missing), "hi"])
    assert result.exit_code == 1 and "featurizer spec not found" in one_line_error(result.stderr) and \
        "it has no TFLite metadata" in result.stderr
    # another model's spec, with the same 77 labels: refused by the model's SHA-256, not used to mislabel it
    result = runner.invoke(app, ["predict", str(text_run / "student_float.tflite"), "hi",
                                 "--spec", str(text_run / "student_int8.featurizer.json")])
    assert result.exit_code == 1
    assert "student_int8.featurizer.json was exported beside another model (SHA-256 " in one_line_error(result.stderr)


@pytest.mark.parametrize("args, code, message", [
    (["--set", "projection.backend=dense"], 2,
     "projection.backend=dense takes dense inputs but banking77 has ids inputs; use one of: hashed, token"),
    (["--set", "objective.mixup_distill_weight=1.0"], 2, "objective.mixup_distill_weight must be 0 for banking77"),
    (["--set", "trainer.architecture=mlp"], 2, "trainer.architecture=mlp does not fit banking77's ids inputs; use bag"),
    (["--quant", "qat"], 2, "export.quant=qat is not available for projection.backend=token"),
])
def test_text_runs_refused_in_one_line_before_any_work(args, code, message, tmp_path):
    require_banking77()
    result = runner.invoke(app, ["train-and-export", "--dataset", "banking77", "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == code, result.output
    assert message in one_line_error(result.stderr)
    assert not (tmp_path / "o").exists()


def test_hashed_backend_refused_on_digits_and_csv_errors_in_one_line(tmp_path):
    result = runner.invoke(app, ["train-and-export", "--out", str(tmp_path / "o"), "--set", "projection.backend=hashed"])
    assert result.exit_code == 2
    assert "projection.backend=hashed takes ids inputs but digits has dense inputs" in one_line_error(result.stderr)
    (tmp_path / "a.csv").write_text("sentence,label\nhi,x\n")
    result = runner.invoke(app, ["train-and-export", "--dataset", f"csv:{tmp_path / 'a.csv'}", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "has no column 'text'" in one_line_error(result.stderr)


def test_predict_needs_no_tensorflow(text_run):
    code = ("import sys; from typer.testing import CliRunner; from projnet.cli import app; "
            f"r = CliRunner().invoke(app, ['predict', {str(text_run / 'student_int8.tflite')!r}, 'lost my card']); "
            "print(r.exit_code, 'tensorflow' in sys.modules or 'keras' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "False"]


STDIN_CASES = 80  # README "Bad input suite" counts these


def test_any_stdin_stream_is_classified_line_by_line(text_run):
    """Random byte streams on stdin (invalid UTF-8, NUL, CR, blank and punctuation-only lines, long lines):
    with --skip-empty every line with a letter or digit gets one output line, the rest are counted."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from projnet.device_bench.text_featurizer import featurize, load_spec, spec_path

    model = text_run / "student_int8.tflite"
    spec = load_spec(spec_path(model))
    pieces = st.sampled_from([b"lost card", b"", b"?!", b"\xff\xfe", b"\x00", b"\r", b"caf\xc3\xa9", b" ", b"x" * 900,
                              b"\xe6\x97\xa5\xe6\x9c\xac", b"top up", b"\t"])

    @settings(max_examples=STDIN_CASES, deadline=None)
    @given(lines=st.lists(st.lists(pieces, max_size=4).map(b"".join), max_size=8), final_newline=st.booleans())
    def check(lines, final_newline):
        stream = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
        result = runner.invoke(app, ["predict", str(model), "--skip-empty"], input=stream)
        assert result.exit_code == 0, (stream, result.output)
        read = [line.rstrip(b"\r\n") for line in io.BytesIO(stream)]  # as `for line in sys.stdin.buffer` reads
        classified = [line for line in read if featurize(line, spec).any()]
        assert len(result.stdout.splitlines()) == len(classified), (stream, result.stdout)
        skipped = len(read) - len(classified)
        assert (result.stderr.startswith(f"skipped {skipped} empty line(s)") if skipped else result.stderr == "")

    check()


def test_ctrl_c_in_predict_says_so_after_the_lines_already_printed(text_run):
    import signal

    process = subprocess.Popen([sys.executable, "-m", "projnet.cli", "predict", str(text_run / "student_int8.tflite")],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as a terminal's Ctrl-C
    process.stdin.write(b"my card was stolen\n")
    process.stdin.flush()
    first = process.stdout.readline()  # printed while stdin stays open: predict streams
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert first.strip() and process.returncode == 130
    assert one_line_error(stderr.decode()) == "error: interrupted"
