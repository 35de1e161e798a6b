"""Request and response models of every endpoint (the stable HTTP contract).

Naming rule: `<Endpoint>Request`, `<Endpoint>Item`, `<Endpoint>Result`, `<Endpoint>Response`.
/code's models are in `code_schemas.py`; /score's items build on them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

from reward_service.api.code_schemas import (
    CodeItem,
    CodeLimits,
    CodeResult,
    CodeTestFields,
    code_item,
)
from reward_service.api.errors import ERROR_CODES
from reward_service.rewards.format import FORMAT_REWARDS, FormatStyle
from reward_service.rewards.math import MATH_REWARDS, ExtractMode, MathStatus
from reward_service.text import SafeStr

GoldAnswer = StrictStr | StrictInt | StrictFloat
FiniteFloat = float  # NaN/inf are rejected by `allow_inf_nan=False` on each model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


class MathRewards(_Strict):
    """Reward per outcome. The defaults are the GSM8K GRPO recipe's."""

    correct: FiniteFloat = MATH_REWARDS.correct
    wrong: FiniteFloat = MATH_REWARDS.wrong
    missing: FiniteFloat = MATH_REWARDS.missing


class MathItem(_Strict):
    completion: StrictStr = Field(description="The model's full completion text.")
    answer: GoldAnswer = Field(
        description="The gold: a number, a string, or a GSM8K solution ending in `#### 1,234`."
    )


class MathOptions(_Strict):
    extract: ExtractMode = Field(
        "gsm8k",
        description="`gsm8k`: the number after the last `####`. `flexible`: also `\\boxed{}`, "
        '"the answer is", "Answer:", "A:", else the last number. `latex`: symbolic '
        "equivalence with math-verify.",
    )
    rewards: MathRewards = Field(default_factory=MathRewards)


class MathRequest(MathOptions):
    items: list[MathItem]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {"completion": "<think>16-3-4=9, 9*2=18</think> #### 18", "answer": 18},
                        {"completion": "I think it is #### 17", "answer": "... #### 18"},
                        {"completion": "no idea", "answer": "18"},
                    ],
                    "extract": "gsm8k",
                }
            ]
        }
    )


class MathResult(BaseModel):
    reward: float | None = Field(description="`null` when the item could not be graded.")
    status: MathStatus
    extracted: SafeStr | None = Field(None, description="The answer found, normalised.")
    error: SafeStr | None = Field(None, description="Why the item is `error`.")


class MathResponse(BaseModel):
    results: list[MathResult]


class FormatRewards(_Strict):
    ok: FiniteFloat = FORMAT_REWARDS.ok
    missing: FiniteFloat = FORMAT_REWARDS.missing


class FormatItem(_Strict):
    completion: StrictStr


class FormatOptions(_Strict):
    style: FormatStyle = Field(
        "think",
        description="`think`: `<think>` then `</think>` appear in order. `r1`: the whole "
        "completion is `<think>...</think><answer>...</answer>` (whitespace tolerant).",
    )
    format_rewards: FormatRewards = Field(default_factory=FormatRewards)


class FormatRequest(FormatOptions):
    items: list[FormatItem]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {"completion": "<think>add them</think> #### 5"},
                        {"completion": "#### 5"},
                    ],
                    "style": "think",
                }
            ]
        }
    )


class FormatResult(BaseModel):
    reward: float
    status: Literal["ok", "missing"]


class FormatResponse(BaseModel):
    results: list[FormatResult]


class ComponentWeights(_Strict):
    """Weight per reward component; a component left out (or null) is not computed."""

    math: FiniteFloat | None = None
    format: FiniteFloat | None = None
    code: FiniteFloat | None = None

    def active(self) -> dict[str, float]:
        return {name: w for name, w in self.model_dump().items() if w is not None}

    @model_validator(mode="after")
    def _at_least_one(self) -> ComponentWeights:
        if not self.active():
            raise ValueError("name at least one of math, format, code")
        return self


class ScoreItem(CodeTestFields):
    """A completion plus what each requested component needs: `answer` for `math`, the /code
    item's test fields for `code` (checked per item: a bad one is that item's error)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)

    completion: StrictStr
    answer: GoldAnswer | None = Field(None, description="Gold answer; needed by `math`.")

    def code_item(self) -> CodeItem | str:
        """The item's code part, or why its test fields do not form one."""
        return code_item(self.completion, self.model_dump(include=set(CodeTestFields.model_fields)))


class ScoreRequest(MathOptions, FormatOptions):
    items: list[ScoreItem]
    limits: CodeLimits | None = Field(None, description="`code`: per-test limits, clamped.")
    components: ComponentWeights = Field(
        default_factory=lambda: ComponentWeights(math=1.0, format=1.0),
        description="The recipe's combined reward is `math + format`.",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {"completion": "<think>9 eggs at $2</think> #### 18", "answer": "18"},
                        {"completion": "#### 17", "answer": "18"},
                    ],
                    "components": {"math": 1.0, "format": 1.0},
                }
            ]
        }
    )


class ScoreComponents(BaseModel):
    math: MathResult | None = None
    format: FormatResult | None = None
    code: CodeResult | None = None


class ScoreResult(BaseModel):
    reward: float | None = Field(description="Weighted sum; null if a weighted part is null.")
    components: ScoreComponents


class ScoreResponse(BaseModel):
    results: list[ScoreResult]


class ErrorResponse(BaseModel):
    """Every non-2xx answer: a stable `error` code and a `detail` a person can act on."""

    error: str = Field(description=", ".join(ERROR_CODES))
    detail: str
    errors: list[dict[str, Any]] | None = Field(
        None, description="For 422: each invalid field's location, message and type."
    )


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or wrong API key (REWARD_API_KEY)."},
    413: {"model": ErrorResponse, "description": "Body or batch over the configured limit."},
    422: {"model": ErrorResponse, "description": "Malformed JSON or wrong types."},
    429: {"model": ErrorResponse, "description": "Too much work in flight; see Retry-After."},
}
