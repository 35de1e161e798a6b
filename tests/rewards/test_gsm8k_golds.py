"""Every gold answer in GSM8K's test split parses (14 contain thousands separators)."""

from __future__ import annotations

import json
from pathlib import Path

from reward_service.rewards.math import grade_math, parse_gold


def test_every_gsm8k_test_gold_parses_and_grades_itself(gsm8k_test_path: Path) -> None:
    rows = [json.loads(line) for line in gsm8k_test_path.open()]
    assert len(rows) == 1319
    with_commas = 0
    for row in rows:
        gold = row["answer"]
        final = gold.rpartition("####")[2].strip()
        with_commas += "," in final
        parse_gold(gold)  # raises on failure
        assert grade_math(f"<think>...</think>\n#### {final}", gold, "gsm8k").status == "correct"
        assert grade_math("#### 123456789.5", gold, "gsm8k").status == "wrong"
    assert with_commas == 14
