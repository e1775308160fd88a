"""`projnet bench`'s table: one row per model benchmarked, and one per model that failed, with why."""

from __future__ import annotations

from rich.table import Table


def bench_table(results: list[dict], failures: list[dict], threads: int, short_path) -> Table:
    runtime = results[0]["runtime"] if results else "no model ran"
    emulated = "EMULATED: timings and memory are QEMU's, not the device's" if results and results[0].get("emulated") else None
    table = Table(title=f"device_bench: {runtime}, {threads} thread(s)", caption=emulated)
    for column in ("model", "size", "p50", "p99", "peak RSS", "same class"):  # p90, init, runs: in --json
        table.add_column(column, justify="left" if column == "model" else "right", min_width=12 if column == "model" else None,
                         overflow="fold" if column == "model" else "ellipsis", no_wrap=column != "model")
    for r in results:
        lat = r["latency_us"]
        cells = [f"{lat[k]:.1f} us" if k in lat else "-" for k in ("p50", "p99")]
        rss = "-" if r.get("peak_rss_mb") is None else f"{r['peak_rss_mb']:.1f} MB"
        check = r.get("expected_check")  # rows of MODEL.expected.npz whose class matches export's
        same = "-" if check is None else f"{round(check['argmax_match'] * check['rows'])}/{check['rows']}"
        table.add_row(short_path(r["model"]), f"{r['size_bytes'] / 1024:.1f} KB", *cells, rss, same)
    for failure in failures:
        table.add_row(short_path(failure["model"]), "-", "-", "-", "-", "failed")
    if failures:
        table.caption = "; ".join(filter(None, [emulated] + [f"{short_path(f['model'])}: {f['error']}" for f in failures]))
    return table
