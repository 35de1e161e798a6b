"""The /code contract: an item has exactly one test form, and a dialect its language has."""

from __future__ import annotations

import re
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


CPP = "```cpp\nint main() {}\n```"
STDIO = [{"stdin": "", "stdout": ""}]


def test_an_item_may_choose_its_dialect_in_any_case() -> None:
    cpp = CodeItem.model_validate(
        {"completion": CPP, "language": "c++", "tests": STDIO, "std": "C++17"}
    )
    c = CodeItem.model_validate(
        {"completion": CPP, "language": "c", "tests": STDIO, "std": "gnu11"}
    )
    rust = CodeItem.model_validate(
        {"completion": CPP, "language": "rs", "tests": STDIO, "edition": 2018}  # a JSON number
    )
    assert (cpp.dialect, c.dialect, rust.dialect) == ("c++17", "gnu11", "2018")
    # the default, asked for or not, is the same job
    default = CodeItem.model_validate({"completion": CPP, "language": "cpp", "tests": STDIO})
    named = CodeItem.model_validate(
        {"completion": CPP, "language": "cpp", "tests": STDIO, "std": "gnu++23"}
    )
    assert default.dialect is None and named.dialect is None


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"language": "cpp", "std": "c++98"}, "'c++11', 'c++14', 'c++17'"),  # lists the choices
        ({"language": "c", "std": "c89"}, "'c99', 'c11', 'c17', 'c23'"),
        ({"language": "rust", "edition": "2027"}, "'2015', '2018', '2021' or '2024'"),
        ({"language": "cpp", "std": "c17"}, "`std` c17 is not a C++ standard; choose one of c++11"),
        ({"language": "c", "std": "gnu++17"}, "`std` gnu++17 is not a C standard; choose one of"),
        ({"language": "python", "std": "c17"}, "`std` applies to C and C++ items, not to python"),
        ({"language": "rust", "std": "c++17"}, "not to rust; Rust's is `edition`"),
        ({"language": "cpp", "edition": "2021"}, "`edition` applies to Rust items, not to cpp"),
        ({"language": "go", "edition": "2021"}, "`edition` applies to Rust items, not to go"),
    ],
)
def test_a_dialect_the_language_lacks_is_refused_with_the_choices(
    fields: dict[str, Any], says: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        CodeItem.model_validate({"completion": CPP, "tests": STDIO, **fields})
