"""`projnet bench`'s table: one row per model benchmarked, and one per model that failed, with why."""

from __future__ import annotations

from projnet.screen_table import fitted_table

COLUMNS = ["model", "size", "p50", "p99", "peak RSS", "same class"]  # p90, init, runs: in --json


def bench_rows(results: list[dict], failures: list[dict], short_path) -> list[list[str]]:
    rows = []
    for r in results:
        lat = r["latency_us"]
        cells = [f"{lat[k]:.1f} us" if k in lat else "-" for k in ("p50", "p99")]
        rss = "-" if r.get("peak_rss_mb") is None else f"{r['peak_rss_mb']:.1f} MB"
        check = r.get("expected_check")  # rows of MODEL.expected.npz whose class matches export's
        same = "-" if check is None else f"{round(check['argmax_match'] * check['rows'])}/{check['rows']}"
        rows.append([short_path(r["model"]), f"{r['size_bytes'] / 1024:.1f} KB", *cells, rss, same])
    rows += [[short_path(f["model"]), "-", "-", "-", "-", "failed"] for f in failures]
    return rows


def bench_table(results: list[dict], failures: list[dict], threads: int, short_path, width: int = 100):
    runtime = results[0]["runtime"] if results else "no model ran"
    emulated = "EMULATED: timings and memory are QEMU's, not the device's" if results and results[0].get("emulated") else None
    caption = "; ".join(filter(None, [emulated] + [f"{short_path(f['model'])}: {f['error']}" for f in failures])) or None
    return fitted_table(f"device_bench: {runtime}, {threads} thread(s)", COLUMNS,
                        bench_rows(results, failures, short_path), width, caption)
