"""What a user sees in a real terminal 60 and 100 columns wide: every figure of the run and bench tables.

Each command runs in a pseudo-terminal whose window size is set as a terminal emulator sets it
(TIOCSWINSZ), so rich measures the width as it does in tmux or an xterm; the screen text is read back.
"""

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios

import pytest

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def on_screen(argv: list[str], columns: int, timeout_s: float = 300.0) -> str:
    """Run `argv` on a pseudo-terminal `columns` wide and 50 rows high; its screen text, escapes removed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], timeout_s)
        if not ready:
            process.kill()
            raise AssertionError(f"{argv} printed nothing for {timeout_s} s")
        try:
            data = os.read(master, 65536)
        except OSError:  # the other end closed: the process is gone
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert process.wait() == 0, b"".join(chunks).decode(errors="replace")
    return ANSI.sub("", b"".join(chunks).decode(errors="replace"))


@pytest.mark.parametrize("columns", [60, 100])
def test_the_run_table_keeps_every_figure_in_a_narrow_terminal(digits_run, columns):
    from projnet.run_report import table_rows

    script = ("import json, sys; from rich.console import Console; from projnet.run_report import rich_table; "
              "console = Console(); console.print(rich_table(json.load(open(sys.argv[1])), console.width))")
    screen = on_screen([sys.executable, "-c", script, str(digits_run / "metrics.json")], columns)
    assert max(len(line) for line in screen.splitlines()) <= columns
    metrics = json.loads((digits_run / "metrics.json").read_text())
    for row in table_rows(metrics):
        for cell in row:
            assert cell in screen, (columns, cell, screen)


@pytest.mark.parametrize("columns", [60, 100])
def test_the_bench_table_keeps_every_figure_in_a_narrow_terminal(digits_run, tmp_path, columns):
    models = [digits_run / name for name in ("student_int8.tflite", "student_float.tflite", "trainer_float.tflite")]
    report = tmp_path / "bench.json"
    screen = on_screen([sys.executable, "-m", "projnet.cli", "bench", *map(str, models), "--min-time", "0.05",
                        "--warmup", "2", "--json", str(report)], columns)
    assert max(len(line) for line in screen.splitlines()) <= columns
    for result in json.loads(report.read_text()):
        figures = [f"{result['size_bytes'] / 1024:.1f} KB", f"{result['latency_us']['p50']:.1f} us",
                   f"{result['latency_us']['p99']:.1f} us", f"{result['peak_rss_mb']:.1f} MB"]
        for figure in figures:
            assert figure in screen, (columns, figure, screen)
        assert f"digits-default/{os.path.basename(result['model'])}" in screen, (columns, screen)
        match = result.get("expected_check")  # the trainer ships no expected outputs
        if match is not None:
            assert f"{round(match['argmax_match'] * match['rows'])}/{match['rows']}" in screen, (columns, screen)
    assert "same class" in screen
