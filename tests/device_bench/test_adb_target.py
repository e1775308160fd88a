"""The adb target: the parser on what the real benchmark_model printed, and the adb flow against a fake adb.

The sample outputs below are text the tool printed on real machines, copied from public pages; only
the tool's output is copied. A trailing operator table, where there was one, is cut short.
"""

import json
import shlex
import subprocess
import sys

import pytest

from projnet.device_bench.adb_target import bench_on_adb, parse_benchmark_model_output
from projnet.errors import ProjnetError

# tensorflow/tensorflow issue #42507 ("Timing discrepancy between tflite benchmark tool and android",
# August 2020): a TF 2.3-era tool, which still labelled the memory line "Peak memory footprint (MB)",
# run with --enable_op_profiling.
TF_42507 = """STARTING!
Duplicate flags: num_threads
Log parameter values verbosely: [0]
Num threads: [4]
Graph: [/data/local/tmp/espcn_harmonic_2x_slim_w_cl.tflite]
Enable op profiling: [1]
#threads used for CPU inference: [4]
Loaded model /data/local/tmp/espcn_harmonic_2x_slim_w_cl.tflite
The input model file size (MB): 0.004448
Initialized session in 0.855ms.
Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.
count=15 first=49060 curr=33682 min=32825 max=49060 avg=34825.1 std=3930

Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.
count=50 first=32891 curr=33978 min=32641 max=34005 avg=33209.4 std=450

Inference timings in us: Init: 855, First inference: 49060, Warmup (avg): 34825.1, Inference (avg): 33209.4
Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your discretion.
Peak memory footprint (MB): init=0 overall=12.8672
Profiling Info for Benchmark Initialization:
============================== Run Order ==============================
\t             [node type]\t          [start]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]\t  [mem KB]\t[times called]\t[Name]
"""

# google/XNNPACK issue #999 ("support for quantized tflite models"): a later tool on a Raspberry Pi,
# XNNPACK on by default and the memory line renamed "Memory footprint delta from the start of the tool".
XNNPACK_999 = """STARTING!
Log parameter values verbosely: [0]
Num threads: [4]
Graph: [yolo_best_recall_int8_static.tflite]
Enable op profiling: [1]
#threads used for CPU inference: [4]
Loaded model yolo_best_recall_int8_static.tflite
INFO: Created TensorFlow Lite XNNPACK delegate for CPU.
The input model file size (MB): 3.67827
Initialized session in 18.777ms.
Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.
count=9 first=64791 curr=56295 min=54873 max=65831 avg=57758.2 std=4065

Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.
count=50 first=58154 curr=53809 min=53077 max=60727 avg=55043.2 std=1562

Inference timings in us: Init: 18777, First inference: 64791, Warmup (avg): 57758.2, Inference (avg): 55043.2
Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your discretion.
Memory footprint delta from the start of the tool (MB): init=8.97656 overall=18.7227
Profiling Info for Benchmark Initialization:
"""

# NobuoTsukamoto/meta-tensorflow-lite, doc/tensorflow-lite-benchmark.md (benchmark_model on a qemuriscv64
# Yocto image, --enable_op_profiling=true): slow runs print averages in scientific notation, a single
# warm-up run prints "count=1 curr=...", and the op profiler prints its own "count=" lines afterwards.
# Both operator tables are left out; the lines around them are as printed.
RISCV_META_TFLITE = """STARTING!
Log parameter values verbosely: [0]
Num threads: [4]
Graph: [./mobilenet_v1_1.0_224.tflite]
Enable op profiling: [1]
#threads used for CPU inference: [4]
Loaded model ./mobilenet_v1_1.0_224.tflite
The input model file size (MB): 16.9008
Initialized session in 17.187ms.
Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.
count=1 curr=3512391

Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.
count=50 first=2990275 curr=2913402 min=2727568 max=3189954 avg=2.95034e+06 std=109798

Inference timings in us: Init: 17187, First inference: 3512391, Warmup (avg): 3.51239e+06, Inference (avg): 2.95034e+06
Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your discretion.
Memory footprint delta from the start of the tool (MB): init=4.21094 overall=46.0859
Profiling Info for Benchmark Initialization:
Number of nodes executed: 1
Timings (microseconds): count=1 curr=1356
Memory (bytes): count=0
1 nodes observed



Operator-wise Profiling Info for Regular Benchmark Runs:
Number of nodes executed: 31
Timings (microseconds): count=50 first=2989660 curr=2912978 min=2727203 max=3189476 avg=2.9499e+06 std=109770
Memory (bytes): count=0
31 nodes observed
"""

# `adb logcat -d -s tflite` after two runs of android_aarch64_benchmark_model.apk on an Android phone
# (CPH2641), from a Chinese-language benchmark report in a public GitHub repository that the search
# index did not name (report dated 2026-07-14). This newer tool adds p5/median/p95 to each statistics
# line. The two runs were two separate excerpts; here they follow each other as in one logcat.
LOGCAT_MEDIAN = """\
07-14 13:14:52.097 22838 22838 I tflite  : Log parameter values verbosely: [0]
07-14 13:14:52.097 22838 22838 I tflite  : Min num runs: [25]
07-14 13:14:52.097 22838 22838 I tflite  : Num threads: [4]
07-14 13:14:52.097 22838 22838 I tflite  : Graph: [/data/local/tmp/best_int8.tflite]
07-14 13:14:52.097 22838 22838 I tflite  : #threads used for CPU inference: [4]
07-14 13:14:52.097 22838 22838 I tflite  : Use gpu: [0]
07-14 13:14:52.097 22838 22838 I tflite  : Use NNAPI: [0]
07-14 13:14:52.098 22838 22838 I tflite  : Loaded model /data/local/tmp/best_int8.tflite
07-14 13:14:52.099 22838 22838 I tflite  : Initialized TensorFlow Lite runtime.
07-14 13:14:52.113 22838 22838 I tflite  : Created TensorFlow Lite XNNPACK delegate for CPU.
07-14 13:14:52.115 22838 22838 I tflite  : Replacing 539 out of 548 node(s) with delegate (TfLiteXNNPackDelegate) node, yielding 19 partitions for subgraph 0.
07-14 13:14:52.190 22838 22838 I tflite  : The input model file size (MB): 3.06409
07-14 13:14:52.190 22838 22838 I tflite  : Initialized session in 92.318ms.
07-14 13:14:52.859 22838 22838 I tflite  : count=3 first=235158 curr=200386 min=199462 max=235158 avg=211669 std=16613 p5=199462 median=200386 p95=235158
07-14 13:14:56.520 22838 22838 I tflite  : count=25 first=187533 curr=140990 min=140071 max=195121 avg=145528 std=13583 p5=140545 median=141253 p95=187533
07-14 13:14:56.521 22838 22838 I tflite  : Inference timings in us: Init: 92318, First inference: 235158, Warmup (avg): 211669, Inference (avg): 145528
07-14 13:14:56.521 22838 22838 I tflite  : Memory footprint delta from the start of the tool (MB): init=54.2852 overall=73.4102
"""
LOGCAT_MEDIAN_SECOND_RUN = """\
07-14 13:16:26.182 23002 23002 I tflite  : Num threads: [4]
07-14 13:16:26.182 23002 23002 I tflite  : Graph: [/data/local/tmp/ssd_mobilenetv3_large_fp16.tflite]
07-14 13:16:26.182 23002 23002 I tflite  : Use gpu: [0]
07-14 13:16:26.182 23002 23002 I tflite  : Use NNAPI: [0]
07-14 13:16:26.184 23002 23002 I tflite  : Loaded model /data/local/tmp/ssd_mobilenetv3_large_fp16.tflite
07-14 13:16:26.193 23002 23002 I tflite  : Created TensorFlow Lite XNNPACK delegate for CPU.
07-14 13:16:26.195 23002 23002 I tflite  : Replacing 431 out of 461 node(s) with delegate (TfLiteXNNPackDelegate) node, yielding 58 partitions for subgraph 0.
07-14 13:16:26.241 23002 23002 I tflite  : Initialized session in 58.312ms.
07-14 13:16:28.097 23002 23002 I tflite  : count=25 first=53752 curr=45884 min=45884 max=62002 avg=52970 std=3114 p5=46034 median=53524 p95=55365
07-14 13:16:28.097 23002 23002 I tflite  : Inference timings in us: Init: 58312, First inference: 70225, Warmup (avg): 57237.2, Inference (avg): 52970
07-14 13:16:28.097 23002 23002 I tflite  : Memory footprint delta from the start of the tool (MB): init=34.8633 overall=48.7305
"""

# The lines a ChromeOS tast test (mlbenchmark.TFLite, `benchmark_model --report_peak_memory_footprint=true`,
# CPU) reads, quoted in a public "CrOS TensorFlow Lite" notes file that the search index did not name.
# This build prefixes every line with its log level and prints the periodically sampled peak.
CROS_PEAK_MEMORY = """\
INFO: Created TensorFlow Lite XNNPACK delegate for CPU.
VERBOSE: Replacing 58 out of 58 node(s) with delegate (TfLiteXNNPackDelegate) node, yielding 1 partitions for the whole graph.
INFO: Initialized session in 3.337ms.
INFO: count=9 first=81913 curr=55502 min=55502 max=81913 avg=58984.7 std=8115
INFO: count=1061 first=56576 curr=56299 min=54669 max=60236 avg=56265.8 std=982
INFO: Inference timings in us: Init: 3337, First inference: 81913, Warmup (avg): 58984.7, Inference (avg): 56265.8
INFO: Overall peak memory footprint (MB) via periodic monitoring: 93.2383
"""


def test_parse_tf_2_3_output_with_op_profiling():
    assert parse_benchmark_model_output(TF_42507) == {
        "init_us": 855.0, "first_inference_us": 49060.0, "warmup_avg_us": 34825.1, "inference_avg_us": 33209.4,
        "warmup_count": 15,
        "warmup_stats_us": {"first": 49060.0, "curr": 33682.0, "min": 32825.0, "max": 49060.0,
                            "avg": 34825.1, "std": 3930.0},
        "run_count": 50,
        "run_stats_us": {"first": 32891.0, "curr": 33978.0, "min": 32641.0, "max": 34005.0,
                         "avg": 33209.4, "std": 450.0},
        "memory_init_mb": 0.0, "memory_overall_mb": 12.8672, "threads": 4,
    }


def test_parse_memory_delta_label():
    figures = parse_benchmark_model_output(XNNPACK_999)
    assert figures["init_us"] == 18777 and figures["first_inference_us"] == 64791
    assert figures["warmup_avg_us"] == 57758.2 and figures["inference_avg_us"] == 55043.2
    assert figures["warmup_count"] == 9 and figures["warmup_stats_us"]["max"] == 65831
    assert figures["run_count"] == 50
    assert figures["run_stats_us"] == {"first": 58154.0, "curr": 53809.0, "min": 53077.0, "max": 60727.0,
                                       "avg": 55043.2, "std": 1562.0}
    assert (figures["memory_init_mb"], figures["memory_overall_mb"]) == (8.97656, 18.7227)
    assert figures["threads"] == 4 and "peak_memory_mb" not in figures


def test_parse_scientific_notation_and_ignore_profiler_counts():
    figures = parse_benchmark_model_output(RISCV_META_TFLITE)
    assert figures["warmup_avg_us"] == 3512390.0 and figures["inference_avg_us"] == 2950340.0
    assert figures["warmup_count"] == 1 and figures["warmup_stats_us"] == {"curr": 3512391.0}
    # the timed runs' line, not the op profiler's "Timings (microseconds): count=50 ... avg=2.9499e+06"
    assert figures["run_count"] == 50 and figures["run_stats_us"]["avg"] == 2950340.0
    assert figures["run_stats_us"]["std"] == 109798.0
    assert (figures["memory_init_mb"], figures["memory_overall_mb"]) == (4.21094, 46.0859)


def test_parse_logcat_percentiles():
    figures = parse_benchmark_model_output(LOGCAT_MEDIAN)
    assert figures["run_stats_us"] == {"first": 187533.0, "curr": 140990.0, "min": 140071.0, "max": 195121.0,
                                       "avg": 145528.0, "std": 13583.0, "p5": 140545.0, "median": 141253.0,
                                       "p95": 187533.0}
    assert figures["warmup_count"] == 3 and figures["warmup_stats_us"]["median"] == 200386.0
    assert figures["init_us"] == 92318.0 and figures["first_inference_us"] == 235158.0
    assert (figures["memory_init_mb"], figures["memory_overall_mb"]) == (54.2852, 73.4102)
    assert figures["threads"] == 4


def test_parse_logcat_with_two_runs_keeps_the_last():
    figures = parse_benchmark_model_output(LOGCAT_MEDIAN + LOGCAT_MEDIAN_SECOND_RUN)
    assert figures["init_us"] == 58312.0 and figures["inference_avg_us"] == 52970.0
    assert figures["run_count"] == 25 and figures["run_stats_us"]["median"] == 53524.0
    assert "warmup_count" not in figures  # this run printed no warm-up line; the first run's is not its own
    assert (figures["memory_init_mb"], figures["memory_overall_mb"]) == (34.8633, 48.7305)


def test_profiler_counts_of_an_earlier_run_are_not_the_next_runs_warmup():
    # Two outputs in one text, as in a logcat holding several runs: the second printed no warm-up line,
    # and the first's trailing "Timings (microseconds): count=50 ..." must not stand in for one.
    figures = parse_benchmark_model_output(RISCV_META_TFLITE + LOGCAT_MEDIAN_SECOND_RUN)
    assert figures["run_count"] == 25 and "warmup_count" not in figures
    assert figures["memory_overall_mb"] == 48.7305


def test_parse_peak_memory_and_log_prefix():
    figures = parse_benchmark_model_output(CROS_PEAK_MEMORY)
    assert figures["peak_memory_mb"] == 93.2383
    assert figures["run_count"] == 1061 and figures["run_stats_us"]["std"] == 982.0
    assert figures["warmup_count"] == 9 and figures["init_us"] == 3337.0
    assert "memory_init_mb" not in figures and "threads" not in figures


def test_parsed_figures_are_plain_json():
    for sample in (TF_42507, XNNPACK_999, RISCV_META_TFLITE, LOGCAT_MEDIAN, CROS_PEAK_MEMORY):
        figures = parse_benchmark_model_output(sample)
        assert json.loads(json.dumps(figures, allow_nan=False)) == figures


def test_text_without_timings_names_the_last_line():
    text = TF_42507.split("Running benchmark")[0] + "ERROR: Failed to allocate tensors!\nBenchmarking failed.\n\n"
    with pytest.raises(ProjnetError) as info:
        parse_benchmark_model_output(text)
    message = str(info.value)
    assert "\n" not in message and "no inference timings" in message and "'Benchmarking failed.'" in message
    with pytest.raises(ProjnetError, match="printed nothing"):
        parse_benchmark_model_output("\n  \n")


def test_adb_target_never_imports_tensorflow():
    code = ("import sys, projnet.device_bench.adb_target\n"
            "print([m for m in sys.modules if m.split('.')[0] in "
            "('tensorflow', 'keras', 'ai_edge_litert', 'tflite_runtime')])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# --- bench_on_adb, against a fake adb: a shell script that logs its arguments and plays the device ---

def _tiny_model(path):
    """Just enough bytes to pass read_model's checks: a root offset and the TFL3 identifier."""
    path.write_bytes(b"\x08\x00\x00\x00TFL3" + bytes(8))
    return path


def _fake_adb(tmp_path, monkeypatch, on_benchmark: str, on_push: str = "exit 0"):
    """An `adb` on PATH: logs each call, runs `on_push` for push and `on_benchmark` for the tool."""
    bin_dir, log = tmp_path / "bin", tmp_path / "adb.log"
    bin_dir.mkdir()
    script = bin_dir / "adb"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {shlex.quote(str(log))}\n'
        'if [ "$1" = "-s" ]; then shift 2; fi\n'
        'case "$1 $2" in\n'
        f"  push*) {on_push} ;;\n"
        f"  'shell /data/local/tmp/benchmark_model') {on_benchmark} ;;\n"
        "esac\n"
        "exit 0\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return log


@pytest.fixture
def files(tmp_path):
    binary = tmp_path / "android_aarch64_benchmark_model"
    binary.write_bytes(b"\x7fELF")
    return _tiny_model(tmp_path / "student int8.tflite"), binary


def test_bench_on_adb_runs_the_tool_and_parses_its_output(tmp_path, monkeypatch, files):
    model, binary = files
    (tmp_path / "out.txt").write_text(LOGCAT_MEDIAN)  # the tool logs to stderr; so does the fake
    log = _fake_adb(tmp_path, monkeypatch, f"cat {shlex.quote(str(tmp_path / 'out.txt'))} >&2")
    result = bench_on_adb(model, binary, serial="emulator-5554", threads=4)
    assert result["target"] == "adb:emulator-5554" and result["threads"] == 4 and result["size_bytes"] == 16
    assert result["model"] == str(model)
    assert result["latency_source"] == "median"
    assert result["latency_us"] == {"p50": 141253.0, "p5": 140545.0, "p95": 187533.0, "min": 140071.0,
                                    "max": 195121.0, "std": 13583.0, "mean": 145528.0}
    assert result["benchmark_model"] == parse_benchmark_model_output(LOGCAT_MEDIAN)
    assert log.read_text().splitlines() == [
        f"-s emulator-5554 push {model} /data/local/tmp/student int8.tflite",
        f"-s emulator-5554 push {binary} /data/local/tmp/benchmark_model",
        "-s emulator-5554 shell chmod +x /data/local/tmp/benchmark_model",
        "-s emulator-5554 shell /data/local/tmp/benchmark_model "
        "--graph='/data/local/tmp/student int8.tflite' --num_threads=4",
    ]
    json.dumps(result, allow_nan=False)


def test_bench_on_adb_falls_back_to_the_average(tmp_path, monkeypatch, files):
    model, binary = files
    (tmp_path / "out.txt").write_text(XNNPACK_999)
    _fake_adb(tmp_path, monkeypatch, f"cat {shlex.quote(str(tmp_path / 'out.txt'))}")
    result = bench_on_adb(model, binary)
    assert result["target"] == "adb" and result["latency_source"] == "avg"
    assert result["latency_us"] == {"p50": 55043.2, "mean": 55043.2, "min": 53077.0, "max": 60727.0,
                                    "std": 1562.0}


def test_bench_on_adb_without_adb(tmp_path, monkeypatch, files):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(ProjnetError, match="adb not found: install Android platform-tools"):
        bench_on_adb(*files)


def test_bench_on_adb_without_the_benchmark_binary(tmp_path, monkeypatch, files):
    log = _fake_adb(tmp_path, monkeypatch, "exit 0")
    missing = tmp_path / "nowhere" / "benchmark_model"
    with pytest.raises(ProjnetError) as info:
        bench_on_adb(files[0], missing)
    message = str(info.value)
    assert str(missing) in message and "android_aarch64" in message and "--benchmark-binary" in message
    assert not log.exists()  # nothing reached the device


def test_bench_on_adb_without_the_model(tmp_path, monkeypatch, files):
    _fake_adb(tmp_path, monkeypatch, "exit 0")
    with pytest.raises(ProjnetError, match="model file not found"):
        bench_on_adb(tmp_path / "missing.tflite", files[1])


def test_bench_on_adb_reports_the_failing_command(tmp_path, monkeypatch, files):
    _fake_adb(tmp_path, monkeypatch, "exit 0", on_push="echo 'adb: no devices/emulators found' >&2; exit 1")
    with pytest.raises(ProjnetError, match=r"adb push .* failed \(exit code 1\): adb: no devices/emulators found"):
        bench_on_adb(*files)


def test_bench_on_adb_when_the_tool_prints_no_timings(tmp_path, monkeypatch, files):
    _fake_adb(tmp_path, monkeypatch, "echo 'Benchmarking failed.' >&2")
    with pytest.raises(ProjnetError, match="no inference timings; its last line was: 'Benchmarking failed.'"):
        bench_on_adb(*files)


def test_bench_on_adb_times_out(tmp_path, monkeypatch, files):
    _fake_adb(tmp_path, monkeypatch, "exec sleep 10")
    with pytest.raises(ProjnetError, match=r"adb shell /data/local/tmp/benchmark_model .* did not answer within 0.5 s"):
        bench_on_adb(*files, timeout_s=0.5)
