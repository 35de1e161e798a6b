"""The trainer's configuration: recipe mistakes fail while parsing (before any model loads), both
commands share one set of reward options, and eval sends what training sends."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from reward_service.rewards.format import FORMAT_REWARDS
from reward_service.rewards.math import MATH_REWARDS
from tests.trainer.trainer_servers import REPO
from trainer.config import ConfigError, EvalArguments, RewardDataArguments, TrainScriptArguments
from trainer.reward_specs import ColumnRow


def test_defaults_are_the_services() -> None:
    args = RewardDataArguments()
    assert (args.math_correct, args.math_wrong, args.math_missing) == (
        MATH_REWARDS.correct,
        MATH_REWARDS.wrong,
        MATH_REWARDS.missing,
    )
    assert (args.format_ok, args.format_missing) == (FORMAT_REWARDS.ok, FORMAT_REWARDS.missing)
    assert args.reward_spec("code").options == {}  # the service's default limits apply


def test_every_field_has_help_text() -> None:
    for cls in (TrainScriptArguments, EvalArguments):
        missing = [f.name for f in dataclasses.fields(cls) if not f.metadata.get("help")]
        assert missing == [], cls.__name__


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rewards": ["math", "fromat"]}, "name one or more of math, format, code"),
        ({"rewards": []}, "name one or more"),
        ({"rewards": ["math", "math"]}, "twice"),
        ({"math_extract": "gsm9k"}, "math_extract='gsm9k' is not one of gsm8k, flexible, latex"),
        ({"format_style": "xml"}, "format_style"),
        ({"dataset_name": "gsm8"}, "unknown dataset_name 'gsm8'"),
        ({"reward_chunk_size": 0}, "reward_chunk_size must be > 0"),
    ],
)
def test_recipe_mistakes_say_what_to_change(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TrainScriptArguments(**changes)  # type: ignore[arg-type]


def test_reward_weights_need_one_weight_per_reward() -> None:
    args = TrainScriptArguments(rewards=["math", "format"])
    args.check_reward_weights([1.0, 0.5])
    args.check_reward_weights(None)
    with pytest.raises(ConfigError, match="one weight per reward"):
        args.check_reward_weights([1.0])


def test_a_bad_recipe_fails_at_parse_time_before_any_model_loads(tmp_path: Path) -> None:
    pytest.importorskip("trl")
    from trainer.train import parse_recipe

    recipe = (REPO / "recipes" / "learn-cpu.yaml").read_text().replace("[math]", "[math, maths]")
    path = tmp_path / "typo.yaml"
    path.write_text(recipe)
    started = time.monotonic()
    with pytest.raises(ConfigError, match="maths"):
        parse_recipe(["--config", str(path)])
    weights = ["--config", str(REPO / "recipes/smoke-cpu.yaml"), "--reward_weights", "1.0"]
    with pytest.raises(ConfigError, match="reward_weights has 1 entries"):
        parse_recipe(weights)
    assert time.monotonic() - started < 30


def test_literal_flags_are_choices_on_the_command_line() -> None:
    trl = pytest.importorskip("trl")
    parser = trl.TrlParser((EvalArguments,))
    (args,) = parser.parse_args_and_config(["--math_extract", "latex"])
    assert args.math_extract == "latex"
    with pytest.raises(SystemExit):
        parser.parse_args_and_config(["--math_extract", "nope"])


def test_eval_and_train_send_the_same_requests() -> None:
    train = TrainScriptArguments(math_extract="flexible", math_wrong=0.0, code_timeout_s=2.0)
    evaluation = EvalArguments(math_extract="flexible", math_wrong=0.0, code_timeout_s=2.0)
    for name in ("math", "code"):
        assert train.reward_spec(name).options == evaluation.reward_spec(name).options
    code = EvalArguments(dataset_name="humaneval").grading_spec()
    assert code.endpoint == "code" and code.runs_programs
    assert EvalArguments(dataset_name="gsm8k").grading_spec().endpoint == "math"
    # the same item from a dataset row (eval) and from TRL's columns (training)
    spec = train.reward_spec("math")
    row = {"answer": "#### 7", "question": "q"}
    columns = {"answer": ["#### 7"], "question": ["q"], "trainer_state": object()}
    assert spec.items(["#### 7"], [row]) == spec.items(["#### 7"], [ColumnRow(columns, 0)])
