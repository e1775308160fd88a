"""fastText supervised + quantize as a front point, where the optional `fasttext-numpy2` package is installed.

fastText featurizes by itself (words, word bigrams, character 2-4 grams): the one point on the front
that does not read projnet's ids. Its file is the quantized `.ftz`; its latency is `predict` on one
text, which fastText runs on one thread.
"""

from __future__ import annotations

import csv
import re
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

SETTINGS = {"epoch": 25, "lr": 0.5, "wordNgrams": 2, "minn": 2, "maxn": 4, "dim": 50, "bucket": 200000}
CUTOFF = 4000  # quantize keeps the 4,000 most useful rows (DESIGN.md: 0.882 at 210 KB on BANKING77)
INSTALL = "pip install fasttext-numpy2"


def read(path: Path, label_column: str) -> tuple[list[str], list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [" ".join(re.findall(r"\w+", r["text"].lower())) for r in rows], [r[label_column] for r in rows]


def fasttext_point(train_csv: Path, test_csv: Path, label_column: str, seeds: list[int]) -> dict:
    """A front point, or {"absent": why} when fastText is not installed."""
    try:
        import fasttext
    except ImportError:
        return {"absent": f"fasttext not installed ({INSTALL}); the front has no fastText point"}
    texts, labels = read(train_csv, label_column)
    test_texts, test_labels = read(test_csv, label_column)
    accuracies, size, latencies = [], None, None
    with tempfile.TemporaryDirectory() as tmp:
        train_file = Path(tmp) / "train.txt"
        train_file.write_text("".join(f"__label__{y.replace(' ', '_')} {x}\n" for x, y in zip(texts, labels)))
        for seed in seeds:
            model = fasttext.train_supervised(str(train_file), seed=seed, thread=1, verbose=0, **SETTINGS)
            model.quantize(input=str(train_file), qout=False, cutoff=CUTOFF, retrain=True, thread=1)
            predicted = [model.predict(t)[0][0][len("__label__"):] for t in test_texts]
            accuracies.append(float(np.mean([p == y.replace(" ", "_") for p, y in zip(predicted, test_labels)])))
            if size is None:
                path = Path(tmp) / "model.ftz"
                model.save_model(str(path))
                size = path.stat().st_size
                latencies = []
                for text in test_texts * 2:
                    start = time.perf_counter()
                    model.predict(text)
                    latencies.append(time.perf_counter() - start)
    return {"kind": "baseline", "family": "fasttext", "name": f"fasttext_ftz_cutoff{CUTOFF}",
            "accuracy": statistics.median(accuracies), "accuracy_runs": accuracies, "size_bytes": size,
            "p50_us": round(1e6 * float(np.median(latencies)), 2), "infer_p50_us": None,
            "settings": {**SETTINGS, "cutoff": CUTOFF, "qout": False},
            "command": f"fasttext supervised {SETTINGS} + quantize(cutoff={CUTOFF}) (benchmarks/text_front_fasttext.py)"}
