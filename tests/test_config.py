"""Tests for the run configuration: validation messages, type coercion and the YAML round trip."""

import math

import pytest

from ganforge.config import HELP, TrainConfig, read_yaml
from ganforge.errors import UserError


def test_defaults_are_valid_and_every_option_has_help():
    config = TrainConfig()
    config.validate()
    assert set(HELP) == set(TrainConfig.keys())


def test_unknown_key_is_named_in_the_error():
    with pytest.raises(UserError, match="unknown key 'stepz'"):
        TrainConfig.from_dict({"stepz": 10})


def test_unknown_key_error_says_where_it_came_from():
    with pytest.raises(UserError, match=r"^config file run\.yaml: unknown key 'bogus'$"):
        TrainConfig.from_dict({"steps": 10, "bogus": 1}, origin="config file run.yaml")


@pytest.mark.parametrize("key, value", [
    ("steps", "ten"), ("steps", 1.5), ("steps", True), ("steps", None), ("steps", [3]),
    ("batch_size", "64"), ("lr_generator", "fast"), ("lr_generator", True),
    ("spectral_norm", "yes"), ("spectral_norm", 1), ("loss", 3), ("generator_hidden", "a,b"),
    ("generator_hidden", {"a": 1}), ("seed", "0"),
])
def test_wrong_types_are_rejected_with_the_key_and_value(key, value):
    with pytest.raises(UserError) as info:
        TrainConfig.from_dict({key: value})
    assert key in str(info.value) and repr(value) in str(info.value)
    assert "\n" not in str(info.value)


def test_numbers_are_coerced_to_the_field_type():
    config = TrainConfig.from_dict({"steps": 20.0, "lr_generator": 1, "lr_discriminator": "1e-4"})
    assert config.steps == 20 and isinstance(config.steps, int)
    assert config.lr_generator == 1.0 and isinstance(config.lr_generator, float)
    assert config.lr_discriminator == 1e-4  # YAML 1.1 reads 1e-4 as a string


@pytest.mark.parametrize("key, value, flag", [
    ("steps", 0, "--steps"), ("steps", -5, "--steps"), ("batch_size", 0, "--batch-size"),
    ("lr_generator", 0.0, "--lr-generator"), ("lr_discriminator", -1e-4, "--lr-discriminator"),
    ("noise_dim", 0, "--noise-dim"), ("log_every", 0, "--log-every"), ("eval_samples", 0, "--eval-samples"),
])
def test_non_positive_values_are_rejected_naming_the_flag(key, value, flag):
    with pytest.raises(UserError, match=f"^{flag} must be > 0, got {value}"):
        TrainConfig.from_dict({key: value})


@pytest.mark.parametrize("key, value", [
    ("lr_generator", math.nan), ("lr_discriminator", math.inf), ("beta1", -math.inf),
    ("label_smoothing", math.nan), ("r1", math.nan),
])
def test_nan_and_infinite_floats_are_rejected(key, value):
    with pytest.raises(UserError, match="must be a finite number"):
        TrainConfig.from_dict({key: value})


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinite_integers_are_rejected(value):
    # YAML's `.nan` / `.inf` for an integer option: a UserError, not a ValueError/OverflowError traceback
    with pytest.raises(UserError, match="steps must be int"):
        TrainConfig.from_dict({"steps": value})


@pytest.mark.parametrize("key, value", [
    ("beta1", 1.0), ("label_smoothing", 0.5), ("label_smoothing", -0.1), ("ema", 1.0),
    ("label_flip", 0.6), ("instance_noise", -1.0), ("gradient_penalty", -1.0),
    ("discriminator_activation", "tanh"), ("device", "tpu"),
])
def test_out_of_range_values_are_rejected(key, value):
    with pytest.raises(UserError, match="--" + key.replace("_", "-")):
        TrainConfig.from_dict({key: value})


def test_batch_size_must_be_a_multiple_of_pack():
    with pytest.raises(UserError, match=r"--batch-size \(30\) must be a multiple of --pack \(4\)"):
        TrainConfig.from_dict({"batch_size": 30, "pack": 4, "eval_samples": 400})
    assert TrainConfig.from_dict({"batch_size": 32, "pack": 4, "eval_samples": 400}).pack == 4


@pytest.mark.parametrize("given, widths", [
    ("128,128", [128, 128]), ("128, 64", [128, 64]), ("256 32", [256, 32]), ("16", [16]),
    ([64, 32], [64, 32]), (16, [16]), (True, None), ("1.5", None),
])
def test_hidden_widths_as_text_or_list(given, widths):
    if widths is None:
        with pytest.raises(UserError):
            TrainConfig.from_dict({"generator_hidden": given})
    else:
        assert TrainConfig.from_dict({"generator_hidden": given}).generator_hidden == widths


@pytest.mark.parametrize("given", ["", "0,64", "-8", []])
def test_hidden_widths_must_be_positive_and_present(given):
    with pytest.raises(UserError, match="--discriminator-hidden must be a list of positive layer widths"):
        TrainConfig.from_dict({"discriminator_hidden": given})


def test_replace_validates_too():
    config = TrainConfig().replace(steps=7)
    assert config.steps == 7 and TrainConfig().steps == 12000
    with pytest.raises(UserError, match="--steps"):
        config.replace(steps=0)


def test_yaml_round_trip(tmp_path):
    config = TrainConfig.from_dict({"data": "grid25", "loss": "hinge", "steps": 123, "lr_generator": 1e-4,
                                    "generator_hidden": "128,64", "spectral_norm": True, "seed": 42,
                                    "label_smoothing": 0.0, "device": "cpu"})
    path = tmp_path / "config.yaml"
    config.to_yaml(path)
    again = TrainConfig.from_yaml(path)
    assert again == config
    assert again.generator_hidden == [128, 64] and again.lr_generator == 1e-4
    assert list(read_yaml(path)) == TrainConfig.keys()  # every option, in declaration order


def test_yaml_file_may_use_dashes_and_exponents(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("batch-size: 64\nlr_generator: 1e-4\ngenerator-hidden: 32,32\n")
    config = TrainConfig.from_yaml(path)
    assert (config.batch_size, config.lr_generator, config.generator_hidden) == (64, 1e-4, [32, 32])


def test_empty_yaml_file_gives_the_defaults(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing here\n")
    assert TrainConfig.from_yaml(path) == TrainConfig()


def test_yaml_errors_are_one_plain_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: 10\nbatch_size: [1, 2\n")
    with pytest.raises(UserError, match=r"is not valid YAML \(line \d+\)$"):
        read_yaml(bad)
    listing = tmp_path / "list.yaml"
    listing.write_text("- steps\n- 10\n")
    with pytest.raises(UserError, match="must hold a mapping"):
        read_yaml(listing)
    with pytest.raises(UserError, match="cannot read config file .*missing.yaml"):
        read_yaml(tmp_path / "missing.yaml")
    with pytest.raises(UserError, match="cannot read config file"):
        read_yaml(tmp_path)  # a folder
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00steps")
    with pytest.raises(UserError, match="cannot read config file .*binary.yaml: it is not UTF-8 text"):
        read_yaml(binary)


def test_yaml_unknown_key_names_the_file_and_key(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("steps: 10\nlearning_rate: 0.1\n")
    with pytest.raises(UserError, match=r"run\.yaml: unknown key 'learning_rate'"):
        TrainConfig.from_yaml(path)


def test_yaml_nan_for_an_integer_option_is_a_user_error(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("steps: .nan\n")
    with pytest.raises(UserError, match="steps must be int, got nan"):
        TrainConfig.from_yaml(path)
