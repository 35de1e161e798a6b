"""The languages /code runs: their names and aliases, fence tags, the image each runs in, and
the dialects an item may choose.

One catalogue for the request schema (names, aliases and dialects), the code reward (which fenced
block is the program) and the sandbox (which image, so which warm pool, a language's jobs go to).
C and C++ share an image (GCC), as do JavaScript and TypeScript (Node.js).

>>> canonical_language("C++")
'cpp'
>>> canonical_language("golang")
'go'
>>> canonical_language("cobol")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: unknown language 'cobol'; supported: python, c, cpp, java, ... (aliases: py, ...)
>>> DIALECTS["rust"], DEFAULT_DIALECT["cpp"]
(('2015', '2018', '2021', '2024'), 'gnu++23')
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BeforeValidator

Language = Literal["python", "c", "cpp", "java", "javascript", "typescript", "go", "rust"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
ALIASES: dict[str, Language] = {
    "py": "python",
    "python3": "python",
    "c++": "cpp",
    "cc": "cpp",
    "cxx": "cpp",
    "js": "javascript",
    "node": "javascript",
    "ts": "typescript",
    "golang": "go",
    "rs": "rust",
}
# a fenced block's info string that marks a program in each language (lower-cased)
FENCE_TAGS: dict[Language, frozenset[str]] = {
    "python": frozenset({"", "python", "py", "python3"}),  # unmarked blocks too, as always
    "c": frozenset({"c", "h"}),
    "cpp": frozenset({"cpp", "c++", "cc", "cxx", "hpp"}),
    "java": frozenset({"java"}),
    "javascript": frozenset({"javascript", "js", "node", "jsx", "mjs", "cjs"}),
    "typescript": frozenset({"typescript", "ts", "tsx"}),
    "go": frozenset({"go", "golang"}),
    "rust": frozenset({"rust", "rs"}),
}
Family = Literal["python", "cpp", "java", "node", "go", "rust"]
FAMILIES: tuple[Family, ...] = get_args(Family)
# the image (and warm pool) each language runs in
FAMILY: dict[Language, Family] = {
    "python": "python",
    "c": "cpp",
    "cpp": "cpp",
    "java": "java",
    "javascript": "node",
    "typescript": "node",
    "go": "go",
    "rust": "rust",
}


def canonical_language(name: str) -> Language:
    """The language `name` (any case, or an alias) means; ValueError naming the supported ones."""
    lowered = name.strip().lower()
    for language in LANGUAGES:
        if lowered == language:
            return language
    if lowered in ALIASES:
        return ALIASES[lowered]
    raise ValueError(
        f"unknown language {name!r}; supported: {', '.join(LANGUAGES)} "
        f"(aliases: {', '.join(ALIASES)})"
    )


def _canonical(value: object) -> object:
    return canonical_language(value) if isinstance(value, str) else value


# a request field naming a language: any case, aliases accepted, unknown names a clear 422
LanguageName = Annotated[Language, BeforeValidator(_canonical)]

# The dialects an item may choose: `std` for C and C++ (GCC's -std), `edition` for Rust; the
# defaults are what current judges use. The image's language catalogue names the same ones
# (sandbox_images/sandbox_runner/catalogue.json; tests/sandbox_images/sandbox_runner/
# test_catalogue.py fails when they differ).
CStd = Literal["c99", "c11", "c17", "c23", "gnu99", "gnu11", "gnu17", "gnu23"]
CppStd = Literal[
    "c++11", "c++14", "c++17", "c++20", "c++23",
    "gnu++11", "gnu++14", "gnu++17", "gnu++20", "gnu++23",
]  # fmt: skip
Std = Literal[CStd, CppStd]
RustEdition = Literal["2015", "2018", "2021", "2024"]
DIALECTS: dict[Language, tuple[str, ...]] = {
    "c": get_args(CStd),
    "cpp": get_args(CppStd),
    "rust": get_args(RustEdition),
}
DEFAULT_DIALECT: dict[Language, str] = {"c": "gnu23", "cpp": "gnu++23", "rust": "2021"}


def _dialect_text(value: object) -> object:
    """`"C++17"` and `2018` (JSON's number) as the catalogue spells them."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip().lower() if isinstance(value, str) else value


# request fields naming a dialect: any case; an edition may be a number; anything else a 422
# that lists the choices
StdName = Annotated[Std, BeforeValidator(_dialect_text)]
EditionName = Annotated[RustEdition, BeforeValidator(_dialect_text)]
