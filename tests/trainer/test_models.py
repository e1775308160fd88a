import keras
import numpy as np
import pytest

from projnet.config import TrainerConfig
from projnet.trainer.models import build_trainer


@pytest.mark.parametrize("architecture, layer_type", [("mlp", keras.layers.Dense), ("cnn", keras.layers.Conv2D)])
def test_trainer_architectures(architecture, layer_type):
    model = build_trainer(64, 10, (8, 8, 1), TrainerConfig(architecture=architecture, hidden=[32, 16]))
    assert model(np.zeros((3, 64), np.float32)).shape == (3, 10)
    assert any(isinstance(layer, layer_type) for layer in model.layers)


def test_mlp_widths_follow_the_config():
    model = build_trainer(64, 10, (8, 8, 1), TrainerConfig(hidden=[30, 20], dropout=0.0))
    assert model.count_params() == 64 * 30 + 30 + 30 * 20 + 20 + 20 * 10 + 10
