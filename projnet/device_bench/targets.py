"""Where a benchmark runs (`--target`): this machine, a host over ssh, arm64 under QEMU, or Android.

Every target returns the same shape of result (model, size_bytes, runtime, threads, latency_us with
at least p50, peak_rss_mb or None, host) so that tables, JSON and plots treat them alike; results
from an emulated target carry `"emulated": true`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from projnet.device_bench.runner import BenchSettings
from projnet.errors import UsageError

TARGET_FORMS = "local, ssh://[user@]host[:port], qemu-aarch64, adb or adb:SERIAL"


@dataclass(frozen=True)
class TargetOptions:
    """What the non-local targets need beyond the benchmark settings."""

    benchmark_binary: Path | None = None  # adb: the official benchmark_model built for the phone
    remote_python: str = "python3"  # ssh: the host's interpreter with numpy and a TFLite runtime
    ssh_config: Path | None = None  # ssh: an ssh_config file (`ssh -F`)
    connect_timeout_s: int = 10  # ssh: an unreachable host fails after this long
    qemu_root: Path | None = None  # qemu-aarch64: where the arm64 sysroot is built and cached
    input_npy: Path | None = None  # local: a .npy input instead of random data


def parse_target(target: str) -> tuple[str, object]:
    """("local", None), ("ssh", SshTarget), ("qemu-aarch64", None) or ("adb", serial or None)."""
    kind, _, detail = target.partition(":")
    if kind == "local" and not detail:
        return "local", None
    if kind == "qemu-aarch64" and not detail:
        return "qemu-aarch64", None
    if kind == "ssh":
        from projnet.device_bench.ssh_target import parse_ssh_target

        return "ssh", parse_ssh_target(target)
    if kind == "adb":
        return "adb", detail or None
    raise UsageError(f"unknown --target {target!r}; expected {TARGET_FORMS}")


def check_target_options(kind: str, settings: BenchSettings, options: TargetOptions) -> None:
    """Refuse, before any work, an option the target cannot honour."""
    if options.input_npy is not None and kind != "local":
        raise UsageError(f"--input works with --target local only (the {kind} target feeds random inputs and "
                         f"the run directory's expected outputs)")
    if not settings.use_xnnpack and kind == "adb":
        raise UsageError("--no-xnnpack is not available with --target adb: benchmark_model picks its own delegates")


def bench_on_target(model: Path, target: str, settings: BenchSettings,
                    options: TargetOptions = TargetOptions()) -> dict:
    kind, detail = parse_target(target)
    check_target_options(kind, settings, options)
    if kind == "local":
        from projnet.device_bench.local import bench_in_subprocess

        return bench_in_subprocess(model, settings, input_npy=options.input_npy)
    if kind == "ssh":
        from projnet.device_bench.ssh_target import SshOptions, bench_over_ssh

        return bench_over_ssh(model, detail, settings, SshOptions(
            python=options.remote_python, config_file=options.ssh_config,
            connect_timeout_s=options.connect_timeout_s))
    if kind == "qemu-aarch64":
        from projnet.device_bench.qemu_target import bench_under_qemu

        return bench_under_qemu(model, settings, options.qemu_root)
    if options.benchmark_binary is None:
        raise UsageError("--target adb needs --benchmark-binary PATH (the official benchmark_model for the phone)")
    from projnet.device_bench.adb_target import bench_on_adb

    result = bench_on_adb(model, options.benchmark_binary, detail, settings.threads)
    peak = result["benchmark_model"].get("peak_memory_mb")
    return {**result, "runtime": f"benchmark_model ({result['target']})", "peak_rss_mb": peak,
            "host": {"machine": result["target"]}}


def bench_models(models: list[Path], target: str, settings: BenchSettings,
                 options: TargetOptions = TargetOptions()) -> tuple[list[dict], list[dict], bool]:
    """(figures of the models that ran, {"model", "error"} of those that failed, whether Ctrl-C stopped it).

    One model that fails to load or run must not cost the others' figures, and Ctrl-C keeps the finished
    ones; a usage error is wrong for every model alike and stops at once.
    """
    from projnet.errors import ProjnetError, UsageError

    results, failures = [], []
    for model in models:
        try:
            results.append(bench_on_target(model, target, settings, options))
        except UsageError:
            raise
        except ProjnetError as exc:
            if len(models) == 1:  # nothing else to report: the error itself, as it was
                raise
            failures.append({"model": str(model), "error": str(exc)})
        except KeyboardInterrupt:
            return results, failures, True
    return results, failures, False
