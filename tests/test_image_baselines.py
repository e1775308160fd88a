"""The plain image baselines: trained on labels, fitted to a byte budget, refused on the wrong kind of data."""

import pytest

from projnet.baselines.baseline_run import BaselineSpec, baselines_within, estimated_bytes, fitting_sizes, train_baseline
from projnet.baselines.image_models import build_image_baseline, weight_count
from projnet.config import DataConfig
from projnet.data import load_dataset
from projnet.errors import UsageError


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataConfig())


@pytest.mark.parametrize("family, size", [("mlp", 16), ("cnn", 4)])
def test_weight_count_is_the_models_parameter_count(family, size):
    model = build_image_baseline(family, size, (28, 28, 1), 10, "m")
    assert weight_count(family, size, (28, 28, 1), 10) == model.count_params()


@pytest.mark.parametrize("family, size, floor", [("mlp", 32, 0.93), ("cnn", 8, 0.93)])
def test_baselines_learn_digits_and_ship_builtin_int8(digits, family, size, floor):
    from projnet.device_bench.model_file import model_ops

    tflite, figures = train_baseline(BaselineSpec(family, size), digits, seed=0)
    assert figures["accuracy"] >= floor and figures["agreement"] >= 0.97, figures
    assert figures["size_bytes"] == len(tflite) <= estimated_bytes(BaselineSpec(family, size), digits) + 4096
    ops = [op["name"] for op in model_ops(tflite)]
    assert "SHAPE" not in ops and ops[-1] == "FULLY_CONNECTED"


def test_budgets_pick_the_largest_model_that_fits(digits):
    sizes = fitting_sizes("mlp", digits, 12 * 1024)
    assert sizes[0] == 4 and all(b - a == 4 for a, b in zip(sizes, sizes[1:]))
    assert estimated_bytes(BaselineSpec("mlp", sizes[-1] + 4), digits) + 4096 > 12 * 1024
    found = baselines_within(digits, 12 * 1024)
    assert [b["family"] for b in found] == ["mlp", "cnn"]
    assert all(b["size_bytes"] <= 12 * 1024 for b in found)
    assert baselines_within(digits, 1024) == []  # nothing fits in 1 KB: no baseline, not a too-big one


def test_a_text_family_on_images_is_refused_with_the_ones_that_fit(digits):
    with pytest.raises(UsageError, match=r"^--family hashed_linear takes ids inputs but digits has dense inputs; "
                                         r"use one of: mlp, cnn$"):
        train_baseline(BaselineSpec("hashed_linear", 64), digits)
    with pytest.raises(UsageError, match=r"^--family must be one of: hashed_linear, embedding_bag, mlp, cnn"):
        BaselineSpec("resnet", 8)
