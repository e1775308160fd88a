import pytest

from projnet.config import RunConfig, config_from_toml, config_to_toml, resolve_config
from projnet.data import dataset_defaults
from projnet.errors import UsageError


def test_defaults_are_sized_for_digits():
    config = resolve_config(dataset_defaults=dataset_defaults)
    assert config.data.dataset == "digits"
    assert config.num_bits == 192


def test_dataset_defaults_then_file_then_set(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('[data]\ndataset = "fashion_mnist"\n[train]\nepochs = 3\nbatch_size = 32\n')
    config = resolve_config(toml, ["train.epochs=5", "student.hidden=[64, 32]"], dataset_defaults)
    assert config.projection.num_functions == 2 and config.projection.backend == "patch"  # fashion_mnist's own default
    assert config.train.batch_size == 32  # file beats data-set default
    assert config.train.epochs == 5  # --set beats file
    assert config.student.hidden == [64, 32]


def test_set_parses_types():
    config = resolve_config(None, ["objective.temperature=3", "objective.distill_into_trainer=true",
                                   "trainer.architecture=cnn"])
    assert config.objective.temperature == 3.0 and isinstance(config.objective.temperature, float)
    assert config.objective.distill_into_trainer is True
    assert config.trainer.architecture == "cnn"


@pytest.mark.parametrize("assignment, message", [
    ("train.epoch=3", "unknown setting 'train.epoch'"),
    ("nosection=3", "unknown setting 'nosection'"),
    ("train.epochs=many", "train.epochs expects int. Received: train.epochs='many'"),
    ("train.epochs=2.5", "train.epochs expects int"),
    ("objective.distill_into_trainer=1", "expects bool"),
    ("student.hidden=[1.5]", "student.hidden expects list"),
    ("projection.num_functions=0", "projection.num_functions must be between 1 and 1024"),
    ("projection.num_functions=5000", "Received: projection.num_functions=5000"),
    ("projection.bits_per_function=33", "projection.bits_per_function must be between 1 and 32"),
    ("trainer.architecture=rnn", "trainer.architecture must be one of: mlp, cnn"),
    ("noequals", "--set expects key=value"),
])
def test_bad_settings_are_usage_errors(assignment, message):
    with pytest.raises(UsageError, match=None) as info:
        resolve_config(None, [assignment], dataset_defaults)
    assert message in str(info.value)
    assert info.value.exit_code == 2


def test_bad_toml_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\nepochs = 3")
    with pytest.raises(UsageError, match="is not valid TOML"):
        resolve_config(bad)
    with pytest.raises(UsageError, match="config file not found"):
        resolve_config(tmp_path / "missing.toml")


def test_toml_round_trip(tmp_path):
    config = resolve_config(None, ["student.hidden=[7, 5]", "data.data_dir=/x \"y\""], dataset_defaults)
    path = tmp_path / "config.toml"
    path.write_text(config_to_toml(config))
    assert config_from_toml(path) == config
    assert RunConfig() != config
