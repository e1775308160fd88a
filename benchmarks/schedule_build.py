"""How long a run's schedule takes before and while it trains: the update flags of 100,000 ticks (what a
pipelined run reads, one tick at a time) and the full slot table (what the tests and the simulator read).

    .venv/bin/python benchmarks/schedule_build.py --ticks 100000 --json benchmarks/results/schedule_build.json

Median of --repeats, per engine, K=4 stages, update_every=2.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from projnet.trainer.schedule import TickUpdates, pipeline_schedule


def seconds(make, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        make()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=100_000)
    parser.add_argument("--stages", type=int, default=4)
    parser.add_argument("--update-every", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = []
    for engine in ("bp", "sideways", "dni"):
        flags = seconds(lambda: TickUpdates(engine, args.stages, args.ticks, args.update_every), args.repeats)
        every = seconds(lambda: list(TickUpdates(engine, args.stages, args.ticks, args.update_every)), args.repeats)
        table = seconds(lambda: pipeline_schedule(engine, args.stages, args.ticks, args.update_every), args.repeats)
        rows.append({"engine": engine, "ticks": args.ticks, "stages": args.stages, "update_every": args.update_every,
                     "before_first_tick_s": flags, "all_tick_flags_s": every, "full_table_s": table})
        print(f"{engine:9s} before the first tick {flags * 1e6:6.1f} us   all {args.ticks} ticks' flags "
              f"{every:5.2f} s   full slot table {table:5.2f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
