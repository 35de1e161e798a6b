"""The /code contract: an item has exactly one test form."""

from __future__ import annotations

from typing import Any

import pytest

from reward_service.api.code_schemas import CodeItem

ADD = "```python\ndef add(a, b):\n    return a + b\n```"


@pytest.mark.parametrize(
    "body",
    [
        {"completion": ADD},  # no tests
        {"completion": ADD, "tests": []},
        {"completion": ADD, "tests": ["assert 1"], "test": "def check(c): pass"},
        {"completion": ADD, "test": "def check(c): pass"},  # no entry_point
        {"completion": ADD, "tests": [{"stdin": "1", "stdout": "1"}], "setup": "x = 1"},
        {"completion": ADD, "tests": ["assert 1", {"stdin": "", "stdout": ""}]},
        {"completion": ADD, "tests": ["assert 1"], "compare": "tokens"},  # stdio only
        {"completion": ADD, "test": "def check(c): pass", "entry_point": "add", "compare": "float"},
        {"completion": ADD, "tests": [{"stdin": "", "stdout": ""}], "compare": "close"},
        {"completion": ADD, "tests": [{"stdin": "", "stdout": ""}], "abs_tol": -1},
    ],
)
def test_items_need_exactly_one_test_form(body: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        CodeItem.model_validate(body)
