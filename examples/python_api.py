"""projnet from Python, with public names only: train and export a digits student, benchmark and inspect
its int8 .tflite, and reload the Keras student. Run: python examples/python_api.py [OUT_DIR]"""

import sys
import tempfile
from pathlib import Path

import projnet

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "digits"
metrics = projnet.train_and_export("digits", out=out, settings={"train.epochs": 10, "export.baselines": False,
                                                               "bench.min_time_s": 0.2})
print(f"student int8: accuracy {metrics['student_int8']['accuracy']:.4f}, "
      f"{metrics['student_int8']['size_bytes'] / 1024:.1f} KB")

model = out / "student_int8.tflite"
timing = projnet.bench([model], min_time_s=0.2)[0]
print(f"p50 {timing['latency_us']['p50']} us on {timing['runtime']}")
print("ops:", ", ".join(sorted(set(projnet.inspect(model)["ops"]))))

student = projnet.load_model(out / "student.keras")
print(f"reloaded {student.name}: {student.count_params()} parameters")
