"""The Go test binary's generated sources: the token package, initialised before any of the
program's packages, and `go test`'s main, which writes the token only when every test function
returned and the run passed (a program can't skip them by setting test flags).
"""

from __future__ import annotations


def go_token_package(name: str) -> str:
    return f"""package {name}

import (
\t"io"
\t"os"
)

var token []byte

func init() {{
\tfile := os.NewFile(3, "token")
\ttoken, _ = io.ReadAll(file)
\tfile.Close()
}}

// Take returns the test's token, once.
func Take() []byte {{
\ttaken := token
\ttoken = nil
\treturn taken
}}
"""


def go_testmain(names: list[str], token_package: str) -> str:
    """`go test`'s main, with the verdict: the token is written only if every test function
    returned and the run passed (a program can't skip them by setting test flags)."""
    entries = "\n".join(
        f'\t{{"{name}", func(t *testing.T) {{ _test.{name}(t); finished[{i}] = true }}}},'
        for i, name in enumerate(names)
    )
    return f"""package main

import (
\t"os"
\t"testing"
\t"testing/internal/testdeps"

\t_test "userpkg"
\ttoken "{token_package}"
)

var finished [{len(names)}]bool

var tests = []testing.InternalTest{{
{entries}
}}

func main() {{
\ttaken := token.Take()
\tcode := testing.MainStart(testdeps.TestDeps{{}}, tests, nil, nil, nil).Run()
\tfor _, done := range finished {{
\t\tif !done {{
\t\t\tcode = 1
\t\t}}
\t}}
\tif code == 0 && len(taken) > 0 {{
\t\tverdict := os.NewFile(4, "verdict")
\t\tverdict.Write(taken)
\t\tverdict.Close()
\t}}
\tos.Exit(code)
}}
"""
