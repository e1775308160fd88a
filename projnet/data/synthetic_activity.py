"""A generated accelerometer-like data set for `series:`: recordings of people standing, walking, running
and climbing stairs, at 50 Hz on three axes, each recording with its own phone orientation, gait
frequency, strength and sensor noise. Tests and benchmarks write it; users can try `series:` with it
(`python -m projnet.data.synthetic_activity OUT.csv`). It is generated, not measured: its figures say
that the windowing, the split by recording and the models work, not how a real wearable task goes."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

RATE_HZ = 50
# activity -> (steps per second, acceleration amplitude in g, harmonic weight, vertical bias in g)
ACTIVITIES = {"standing": (0.0, 0.02, 0.0, 0.0), "walking": (1.9, 0.35, 0.3, 0.0),
              "running": (2.8, 0.9, 0.5, 0.0), "stairs": (1.5, 0.45, 0.8, 0.08)}


def recording(activity: str, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """(samples, 3) accelerations in g: gravity on a random axis mix plus the activity's gait."""
    steps, amplitude, harmonic, bias = ACTIVITIES[activity]
    t = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
    steps *= rng.uniform(0.85, 1.15)
    amplitude *= rng.uniform(0.7, 1.3)
    phase = rng.uniform(0, 2 * np.pi)
    gait = np.sin(2 * np.pi * steps * t + phase) + harmonic * np.sin(4 * np.pi * steps * t + 2 * phase)
    vertical = 1.0 + bias + amplitude * gait
    sway = 0.4 * amplitude * np.sin(np.pi * steps * t + phase)
    body = np.stack([sway, 0.3 * amplitude * np.cos(2 * np.pi * steps * t), vertical], axis=1)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)) * 0.3 + np.eye(3))  # how the phone sits in the pocket
    return body @ q.T + rng.normal(0, 0.03 + 0.05 * amplitude, size=body.shape)


def write_activity_csv(path: Path, recordings_per_activity: int = 12, seconds: float = 30.0, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["session", "time", "ax", "ay", "az", "label"])
        for r in range(recordings_per_activity):
            for activity in ACTIVITIES:
                samples = recording(activity, seconds * rng.uniform(0.8, 1.2), rng)
                session = f"{activity}-{r:02d}"
                for i, (ax, ay, az) in enumerate(samples):
                    writer.writerow([session, f"{i / RATE_HZ:.2f}", f"{ax:.4f}", f"{ay:.4f}", f"{az:.4f}", activity])
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m projnet.data.synthetic_activity OUT.csv")
    print(write_activity_csv(Path(sys.argv[1])))
