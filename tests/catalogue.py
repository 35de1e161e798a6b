"""The language catalogue (sandbox_images/sandbox_runner/catalogue.py and its JSON), loaded by
path for tests anywhere in the tree: what each image must report and how each family is built."""

from __future__ import annotations

import importlib.util
from pathlib import Path

PATH = Path(__file__).resolve().parents[1] / "sandbox_images" / "sandbox_runner" / "catalogue.py"
_spec = importlib.util.spec_from_file_location("sandbox_catalogue", PATH)
assert _spec is not None and _spec.loader is not None
catalogue = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(catalogue)
