"""Models from a local GGUF file: converted once to a plain transformers folder, then cached.

`resolve_model_path(name)` returns `name` untouched unless it names a `.gguf` file or a folder
holding exactly one; then it returns a folder that `from_pretrained` loads like any other. Why
convert: transformers loads a GGUF file only by dequantizing it (about 30 s for 135M parameters,
every time) and refuses to `save_pretrained` a model loaded that way, so a trained model could not
be saved beside its base. The converted folder lives under `$REWARD_MODEL_CACHE` (default
`~/.cache/reward-service/converted/<first 16 hex of the file's sha256>`) with a `source.json`
recording the file and its full sha256; a folder without that record is not trusted and is
rebuilt.

The weights keep the GGUF's quantisation error (a 4-bit file stays 4-bit-accurate after
conversion): published scores for the original model are an upper bound.

Left out: GGUF architectures transformers cannot read, and writing GGUF back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SOURCE_RECORD = "source.json"


def cache_root() -> Path:
    default = Path.home() / ".cache" / "reward-service"
    return Path(os.environ.get("REWARD_MODEL_CACHE", default)).expanduser()


def find_gguf(name: str) -> Path | None:
    """The GGUF file `name` points at (the file, or the one `.gguf` in a folder), else None.

    >>> find_gguf("Qwen/Qwen2.5-7B-Instruct") is None
    True
    """
    path = Path(name).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return path
    if not path.is_dir():
        return None
    files = sorted(path.glob("*.gguf"))
    if len(files) > 1:
        names = ", ".join(f.name for f in files)
        raise ValueError(f"{path} holds several GGUF files ({names}): name one of them")
    return files[0] if files else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_model_path(name: str) -> str:
    """`name`, or for a GGUF file (or folder with one) its converted, cached transformers folder."""
    gguf = find_gguf(name)
    if gguf is None:
        return name
    sha = sha256_of(gguf)
    target = cache_root() / "converted" / sha[:16]
    record = target / SOURCE_RECORD
    if record.exists() and json.loads(record.read_text()).get("sha256") == sha:
        return str(target)
    logger.info("converting %s to a transformers model in %s (once)", gguf, target)
    # Built beside the target and renamed into place, so a crash or a second process converting
    # at the same time never leaves a half-written folder that looks finished.
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    convert(gguf, partial)
    (partial / SOURCE_RECORD).write_text(
        json.dumps({"gguf": str(gguf.resolve()), "sha256": sha}, indent=2) + "\n"
    )
    if target.exists():
        shutil.rmtree(target)
    partial.rename(target)
    return str(target)


def convert(gguf: Path, target: Path) -> None:
    """Dequantize `gguf` and save it (float32 weights, which hold the dequantized values exactly;
    tokenizer; generation config) in `target`."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    auto: Any = AutoModelForCausalLM  # untyped in transformers
    folder, file = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file)
    loaded = auto.from_pretrained(folder, gguf_file=file)
    # A GGUF-loaded model refuses save_pretrained (its config says "quantized"): rebuild a plain
    # model from the same config and move the dequantized weights into it (every key matches).
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = auto.from_config(config)
    plain.load_state_dict(loaded.state_dict())
    plain.generation_config = loaded.generation_config
    plain.save_pretrained(target)
    tokenizer.save_pretrained(target)
