"""MediaPipe reads what projnet exports, with no projnet code beside it (`make test` builds .venv-mediapipe
from PyPI: mediapipe 1.2.3 and Pillow):

- its ImageClassifier classifies 200 Fashion-MNIST test images, PNG files, with the image student's
  .tflite alone: the same top-1 and score as projnet's own run of the file, named by the data set;
- its MetadataDisplayer (the reader Android's and MediaPipe's tooling share) lists the labels, the input
  normalization and, for text, the featurizer file of every backend's student in every export mode.

mediapipe 1.2.3's wheel lacks the compiled `_pywrap_metadata_version` that its metadata module imports
(only its metadata *writer* uses it), so the display script gives it an empty module first.
"""

import hashlib
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.device_bench.shipped_students import export_every_student
from tests.helpers import require_system_dependency

MEDIAPIPE_PYTHON = Path(__file__).parents[2] / ".venv-mediapipe" / "bin" / "python"
CLASSIFY = """
import json, sys
import mediapipe as mp
from mediapipe.tasks.python import vision
from mediapipe.tasks.python.core.base_options import BaseOptions
options = vision.ImageClassifierOptions(base_options=BaseOptions(model_asset_path=sys.argv[1]), max_results=1)
found = []
with vision.ImageClassifier.create_from_options(options) as classifier:
    for png in sys.argv[2:]:
        best = classifier.classify(mp.Image.create_from_file(png)).classifications[0].categories[0]
        found.append([best.index, best.category_name, best.score])
print(json.dumps(found))
"""
DISPLAY = """
import json, sys, types
missing = "mediapipe.tasks.cc.metadata.python._pywrap_metadata_version"
for name in ("mediapipe.tasks.cc", "mediapipe.tasks.cc.metadata", "mediapipe.tasks.cc.metadata.python", missing):
    sys.modules.setdefault(name, types.ModuleType(name))
from mediapipe.tasks.python.metadata.metadata import MetadataDisplayer
shown = {}
for model in sys.argv[1:]:
    displayer = MetadataDisplayer.with_model_file(model)
    files = displayer.get_packed_associated_file_list()
    shown[model] = {"metadata": json.loads(displayer.get_metadata_json()),
                    "files": {name: displayer.get_associated_file_buffer(name).decode() for name in files}}
print(json.dumps(shown))
"""


def require_mediapipe():
    require_system_dependency(MEDIAPIPE_PYTHON.is_file(), "the MediaPipe venv is missing (make test builds it)")


def run_in_mediapipe(script: str, *args: str) -> object:
    done = subprocess.run([str(MEDIAPIPE_PYTHON), "-c", script, *args], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "GLOG_minloglevel": "2"}, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_mediapipe_image_classifier_runs_the_image_student_alone(fashion_run, tmp_path):
    from PIL import Image

    from projnet.config import DataConfig
    from projnet.data import load_dataset
    from projnet.export.student_input import image_rows
    from projnet.export.tflite_eval import run_tflite

    require_mediapipe()
    splits = load_dataset(DataConfig(dataset="fashion_mnist"))
    model = fashion_run / "student_int8.tflite"
    pixels = image_rows(splits.x_test[:200], splits)  # pixel / 255
    pngs = []
    for i, image in enumerate(np.round(pixels * 255).astype(np.uint8)):
        pngs.append(tmp_path / f"{i:03d}.png")
        Image.fromarray(image, "RGB").save(pngs[-1])
    ours = run_tflite(model.read_bytes(), pixels)
    theirs = run_in_mediapipe(CLASSIFY, str(model), *map(str, pngs))
    assert [index for index, _, _ in theirs] == ours.argmax(axis=1).tolist()
    assert [name for _, name, _ in theirs] == [splits.class_names[i] for i in ours.argmax(axis=1)]
    np.testing.assert_allclose([score for _, _, score in theirs], ours.max(axis=1), atol=1e-6)
    assert len(set(name for _, name, _ in theirs)) >= 8  # 200 images: most of the ten classes, not one answer


@pytest.fixture(scope="module")
def every_student(tmp_path_factory):
    folder = tmp_path_factory.mktemp("every-student")
    return export_every_student(folder)


def test_metadata_displayer_lists_labels_normalization_and_featurizer(every_student):
    from projnet.device_bench.metadata_reader import read_model_metadata

    require_mediapipe()
    shown = run_in_mediapipe(DISPLAY, *map(str, every_student))
    assert len(shown) == len(every_student) >= 20
    for path in every_student:
        metadata, files = shown[str(path)]["metadata"], shown[str(path)]["files"]
        graph = metadata["subgraph_metadata"][0]
        (tensor,), (output,) = graph["input_tensor_metadata"], graph["output_tensor_metadata"]
        assert output["associated_files"][0] == {"name": "labels.txt", "type": "TENSOR_AXIS_LABELS",
                                                 "description": output["associated_files"][0]["description"]}
        text = path.name.removeprefix("banking77_").split("_")[0] in ("hashed", "token")
        if path.name.startswith("banking77_"):
            assert len(files["labels.txt"].splitlines()) == 77 and "card_arrival" in files["labels.txt"].splitlines()
        else:
            assert files["labels.txt"].splitlines() == (["intent_0", "intent_1", "intent_2"] if text else
                                                        [str(i) for i in range(10)]), path.name
        if not text and tensor["name"] == "pixels":
            size = [28, 28] if path.name.startswith("fashion_style") else [8, 8]
            assert list(tensor["content"]["content_properties"]["default_size"].values()) == size
        assert metadata["min_parser_version"] == "1.0.0" and metadata["author"] and metadata["license"]
        ours = read_model_metadata(path.read_bytes())  # projnet's reader sees what MediaPipe's sees
        assert [t["name"] for t in ours["inputs"]] == [tensor["name"]] and set(ours["files"]) == set(files)
        if text:
            (spec,) = tensor["associated_files"]
            assert spec["name"] == "featurizer.json" and "process_units" not in tensor
            digest = hashlib.sha256(files["featurizer.json"].encode()).hexdigest()
            assert spec["description"].endswith(f"sha256 {digest}") and json.loads(files["featurizer.json"])["labels"]
            continue
        options = tensor["process_units"][0]["options"]
        if path.name.startswith("lsh"):  # flat rows of pixel / 16 (LSH_PROJECTION takes no image)
            assert tensor["name"] == "features" and options == {"mean": [0.0], "std": [16.0]}
        else:  # RGB pixels 0-255, scaled inside the graph
            assert tensor["name"] == "pixels" and options == {"mean": [0.0] * 3, "std": [255.0] * 3}
            assert tensor["content"]["content_properties"]["color_space"] == "RGB"
