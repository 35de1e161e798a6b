"""The languages /code runs: their names and aliases, fence tags, and the image each runs in.

One catalogue for the request schema (names and aliases), the code reward (which fenced block is
the program) and the sandbox (which image, so which warm pool, a language's jobs go to). C and C++
share an image (GCC), as do JavaScript and TypeScript (Node.js).

>>> canonical_language("C++")
'cpp'
>>> canonical_language("golang")
'go'
>>> canonical_language("cobol")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: unknown language 'cobol'; supported: python, c, cpp, java, ... (aliases: py, ...)
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
