import pytest

from projnet.config import RunConfig
from projnet.config_settings import config_from_toml, config_to_toml, resolve_config
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
    ("trainer.id_dropout=1.0", "trainer.id_dropout must be in [0, 1). Received: trainer.id_dropout=1.0"),
    ("pipeline.age_exponent=9", "pipeline.age_exponent must be between 0 and 8"),
    ("pipeline.cut_slack=-0.1", "pipeline.cut_slack must be between 0 and 1"),
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


def test_typed_overrides_win_over_set_strings_and_are_type_checked():
    config = resolve_config(None, ["train.epochs=5", "data.description=from --set"], dataset_defaults,
                            {"train.epochs": 7, "pipeline.devices": ["/CPU:0", "/CPU:1"], "data.description": "a\x01b"})
    assert config.train.epochs == 7 and config.pipeline.devices == ["/CPU:0", "/CPU:1"]
    with pytest.raises(UsageError, match=r"^train.epochs expects int. Received: train.epochs='7'$"):
        resolve_config(overrides={"train.epochs": "7"})


def test_config_toml_keeps_control_characters_and_quotes(tmp_path):
    config = resolve_config(overrides={"data.description": 'tab\there "quoted" \x07bell \\ back'})
    (tmp_path / "c.toml").write_text(config_to_toml(config))
    assert config_from_toml(tmp_path / "c.toml") == config


def test_pipeline_settings_live_in_their_own_section():
    with pytest.raises(UsageError, match=r"^train.engine is now pipeline.engine \(the \[pipeline\] section\)$"):
        resolve_config(None, ["train.engine=sideways"])
    config = resolve_config(None, ["pipeline.engine=sideways", "pipeline.stages=2"])
    assert config.pipelined and config.pipeline.stages == 2


def test_an_older_run_directory_with_pipeline_keys_in_train_still_resumes(tmp_path):
    old = tmp_path / "config.toml"
    old.write_text('[train]\nengine = "sideways"\nstages = 2\nepochs = 3\ncheckpoint_every_steps = 50\n'
                   '[objective]\nmixup_distill_weight = 1.0\n')
    config = config_from_toml(old)
    assert (config.pipeline.engine, config.pipeline.stages, config.train.epochs) == ("sideways", 2, 3)
    # the old pipelined loop ignored both; the resumed run does as the run it continues did
    assert config.objective.mixup_distill_weight == 0.0 and config.train.checkpoint_every_steps == 0


def test_settings_the_pipelined_loop_cannot_honour_are_refused_with_the_reason():
    assert resolve_config(None, ["pipeline.engine=sideways", "pipeline.stages=2"]).objective.mixup_distill_weight == 0
    assert resolve_config().objective.mixup_distill_weight == 1.0  # the plain loop keeps its default
    with pytest.raises(UsageError, match=r"^objective.mixup_distill_weight=0.5 needs the plain backprop loop: .* "
                                         r"the sideways engine with pipeline.stages=2 has no slot; set it to 0$"):
        resolve_config(None, ["pipeline.engine=sideways", "pipeline.stages=2", "objective.mixup_distill_weight=0.5"])
    # the pipeline's buffers are in its checkpoints now: every-N-steps checkpoints are honoured
    assert resolve_config(None, ["pipeline.stream=smooth", "train.checkpoint_every_steps=10"]).train.checkpoint_every_steps == 10


def test_motion_speed_and_the_walk_stream_are_settings():
    config = resolve_config(None, ["pipeline.stream=walk", "pipeline.engine=sideways", "pipeline.stages=2"])
    assert config.pipeline.stream == "walk" and config.pipelined
    assert resolve_config(None, ["pipeline.motion_speed=4"]).pipeline.motion_speed == 4.0
    with pytest.raises(UsageError, match=r"pipeline.motion_speed must be 0 or more \(0: still images\)"):
        resolve_config(None, ["pipeline.motion_speed=-1"])
