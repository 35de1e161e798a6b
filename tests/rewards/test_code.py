"""The code reward's pure pieces: program extraction and how a failed load reads (the reward
table itself is exercised over the scripted sandbox in tests/api/test_code_grading.py)."""

from __future__ import annotations

import pytest

from reward_service.rewards.code import extract_program, load_failure_text


@pytest.mark.parametrize(
    ("completion", "program"),
    [
        ("```python\na = 1\n```", "a = 1\n"),
        ("```py\na = 1\n```", "a = 1\n"),
        ("```\na = 1\n```", "a = 1\n"),
        ("x\n```python\na = 1\n```\ntext\n```python\nb = 2\n```\nbye", "b = 2\n"),
        ("```python\na = 1\n```\n```bash\nls\n```", "a = 1\n"),  # other languages skipped
        ("no code at all", None),
        ("```python\nunterminated", None),
        ("inline ```python x``` only", None),
    ],
)
def test_extract_program_takes_the_last_python_block(completion: str, program: str | None) -> None:
    assert extract_program(completion) == program


def test_load_failure_texts_name_the_phase() -> None:
    assert load_failure_text("compile", "runtime_error") == "does not compile"
    assert load_failure_text("load", "memory") == "ran out of memory while loading"
    assert load_failure_text("load", "runtime_error") == "failed while loading"
