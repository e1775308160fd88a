"""Text end to end on the device side: featurize + infer per text, timed, with accuracy; no TensorFlow.

    python -m projnet.device_bench.text_bench MODEL.tflite TEST.csv [--text-column text]
        [--label-column category] [--min-time 2.0]

Every text of the CSV goes through the reference featurizer and the model, one text per invoke on
one thread, as an app would run it; the pass over the file repeats until `--min-time` seconds of
timed texts. Prints one JSON object: latency percentiles (us) of featurize, infer and both,
end-to-end accuracy against the CSV's labels, and whether TensorFlow was ever imported (it must not be).
"""

from __future__ import annotations

import argparse
import array
import csv
import json
import sys
import time

import numpy as np

from projnet.device_bench.runner import peak_rss_mb, percentiles_us
from projnet.device_bench.text_featurizer import featurize
from projnet.device_bench.text_predict import TextClassifier
from projnet.errors import ProjnetError


def read_texts(path: str, text_column: str, label_column: str) -> tuple[list[str], list[str]]:
    try:
        with open(path, newline="", encoding="utf-8", errors="replace") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise ProjnetError(f"cannot read {path}: {exc.strerror}") from None
    if not rows or text_column not in rows[0] or label_column not in rows[0]:
        raise ProjnetError(f"{path} has no rows with columns {text_column!r} and {label_column!r}")
    return [r[text_column] for r in rows], [r[label_column] for r in rows]


def bench_texts(classifier: TextClassifier, texts: list[str], labels: list[str], min_time_s: float,
                warmup: int = 50) -> dict:
    for text in texts[:warmup]:
        classifier.logits(featurize(text, classifier.spec))
    featurize_s, infer_s = array.array("d"), array.array("d")
    correct, passes, deadline = 0, 0, time.perf_counter() + min_time_s
    while passes == 0 or time.perf_counter() < deadline:
        for text, label in zip(texts, labels):
            start = time.perf_counter()
            ids = featurize(text, classifier.spec)
            featured = time.perf_counter()
            logits = classifier.logits(ids)
            done = time.perf_counter()
            featurize_s.append(featured - start)
            infer_s.append(done - featured)
            if passes == 0:
                correct += classifier.spec.labels[int(np.argmax(logits))] == label
        passes += 1
    total = np.asarray(featurize_s) + np.asarray(infer_s)
    return {"texts": len(texts), "passes": passes, "timed_texts": len(total), "accuracy": correct / len(texts),
            "latency_us": {"featurize_and_infer": percentiles_us(total), "featurize": percentiles_us(featurize_s),
                           "infer": percentiles_us(infer_s)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("csv")
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--label-column", default="category")
    parser.add_argument("--min-time", type=float, default=2.0)
    args = parser.parse_args(argv)
    try:
        classifier = TextClassifier.load(args.model)
        texts, labels = read_texts(args.csv, args.text_column, args.label_column)
        result = bench_texts(classifier, texts, labels, args.min_time)
    except ProjnetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    result.update(model=args.model, runtime=classifier.runtime, threads=1, peak_rss_mb=round(peak_rss_mb(), 2),
                  tensorflow_imported="tensorflow" in sys.modules)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
