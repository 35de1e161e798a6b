"""Small honest programs, test harnesses and checkers in every /code language, for the tests.

Per language: `sum` reads two integers and prints their sum, then the sum divided by 3 with 9
decimals; `add` defines `add(a, b)` (Java: `Solution.add`, Go: `Add`) for the `harness`, which
checks add(1, 2) == 3 and add(2, 2) == 4; `checker` accepts when the program's first number is
twice the input's first number. `fence` is the block tag a model would use.
"""

from __future__ import annotations

from typing import Any

from reward_service.languages import LANGUAGES

FENCE = {
    "python": "python",
    "c": "c",
    "cpp": "cpp",
    "java": "java",
    "javascript": "javascript",
    "typescript": "typescript",
    "go": "go",
    "rust": "rust",
}

SUM = {
    "python": "a, b = map(int, input().split())\nprint(a + b)\nprint(f'{(a + b) / 3:.9f}')\n",
    "c": '#include <stdio.h>\nint main(void) { long long a, b; scanf("%lld %lld", &a, &b);\n'
    '  printf("%lld\\n%.9f\\n", a + b, (a + b) / 3.0); return 0; }\n',
    "cpp": "#include <bits/stdc++.h>\nusing namespace std;\n"
    "int main() { long long a, b; cin >> a >> b;\n"
    '  cout << a + b << "\\n" << fixed << setprecision(9) << (a + b) / 3.0 << "\\n"; }\n',
    "java": "import java.util.*;\n\npublic class Main {\n"
    "    public static void main(String[] args) {\n"
    "        Scanner in = new Scanner(System.in);\n"
    "        long a = in.nextLong(), b = in.nextLong();\n"
    "        System.out.println(a + b);\n"
    '        System.out.println(String.format("%.9f", (a + b) / 3.0));\n'
    "    }\n}\n",
    "javascript": "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/)"
    ".map(Number);\nconsole.log(a + b);\nconsole.log(((a + b) / 3).toFixed(9));\n",
    "typescript": "const [a, b]: number[] = require('fs').readFileSync(0, 'utf8').trim()"
    ".split(/\\s+/).map(Number);\nconsole.log(a + b);\nconsole.log(((a + b) / 3).toFixed(9));\n",
    "go": 'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar a, b int64\n'
    '\tfmt.Scan(&a, &b)\n\tfmt.Println(a + b)\n\tfmt.Printf("%.9f\\n", float64(a+b)/3)\n}\n',
    "rust": "use std::io::Read;\n\nfn main() {\n    let mut s = String::new();\n"
    "    std::io::stdin().read_to_string(&mut s).unwrap();\n"
    "    let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();\n"
    '    println!("{}", v[0] + v[1]);\n    println!("{:.9}", (v[0] + v[1]) as f64 / 3.0);\n}\n',
}

ADD = {
    "c": "int add(int a, int b) { return a + b; }\n",
    "cpp": "int add(int a, int b) { return a + b; }\n",
    "java": "class Solution {\n    public int add(int a, int b) { return a + b; }\n}\n",
    "javascript": "function add(a, b) { return a + b; }\n",
    "typescript": "function add(a: number, b: number): number { return a + b; }\n",
    "go": "func Add(a, b int) int { return a + b }\n",
    "rust": "fn add(a: i32, b: i32) -> i32 { a + b }\n",
}
WRONG_ADD = {language: source.replace("a + b", "a - b") for language, source in ADD.items()}

HARNESS = {
    "c": "#include <assert.h>\nint main(void) { assert(add(1, 2) == 3); assert(add(2, 2) == 4); "
    "return 0; }\n",
    "cpp": "#include <cassert>\nint main() { assert(add(1, 2) == 3); assert(add(2, 2) == 4); }\n",
    "java": "public class Main {\n    public static void main(String[] args) {\n"
    "        Solution s = new Solution();\n"
    "        if (s.add(1, 2) != 3) throw new AssertionError(1);\n"
    "        if (s.add(2, 2) != 4) throw new AssertionError(2);\n    }\n}\n",
    "javascript": "const assert = require('node:assert');\n"
    "assert.deepEqual(add(1, 2), 3);\nassert.deepEqual(add(2, 2), 4);\n",
    "typescript": "declare var require: any;\nconst assert = require('node:assert');\n"
    "assert.deepEqual(add(1, 2), 3);\nassert.deepEqual(add(2, 2), 4);\n",
    "go": 'package main\n\nimport (\n\t"testing"\n\n\t"github.com/stretchr/testify/assert"\n)\n\n'
    "func TestAdd(t *testing.T) {\n\tassert := assert.New(t)\n"
    "\tassert.Equal(3, Add(1, 2))\n\tassert.Equal(4, Add(2, 2))\n}\n",
    "rust": "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn test_add() {\n"
    "        assert_eq!(add(1, 2), 3);\n        assert_eq!(add(2, 2), 4);\n    }\n}\n",
}

# the code under test ends the process with status 0 before the harness finished
EXIT_ZERO = {
    "c": "#include <stdlib.h>\nint add(int a, int b) { exit(0); }\n",
    "cpp": "#include <cstdlib>\nint add(int a, int b) { std::exit(0); }\n",
    "java": "class Solution {\n    public int add(int a, int b) { System.exit(0); return 0; }\n}\n",
    "javascript": "function add(a, b) { process.exit(0); }\n",
    "typescript": "function add(a: number, b: number): number { process.exit(0); return 0; }\n",
    "go": 'import "syscall"\n\nfunc Add(a, b int) int { syscall.Exit(0); return 0 }\n',
    "rust": "fn add(_a: i32, _b: i32) -> i32 { std::process::exit(0) }\n",
}

BROKEN = {language: "this is not a program {" for language in LANGUAGES}

CHECKER = {
    "python": "import sys\nwant, got = (open(p).read().split() for p in sys.argv[1:3])\n"
    "sys.exit(0 if int(got[0]) == 2 * int(want[0]) else 1)\n",
    "c": "#include <stdio.h>\nint main(int argc, char **argv) {\n"
    '  FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "r"); long long n, m;\n'
    '  if (fscanf(in, "%lld", &n) != 1 || fscanf(out, "%lld", &m) != 1) return 1;\n'
    "  return m == 2 * n ? 0 : 1;\n}\n",
    "cpp": "#include <fstream>\nint main(int argc, char **argv) {\n"
    "  std::ifstream in(argv[1]), out(argv[2]); long long n, m;\n"
    "  if (!(in >> n) || !(out >> m)) return 1;\n  return m == 2 * n ? 0 : 1;\n}\n",
    "java": "import java.nio.file.*;\n\npublic class Checker {\n"
    "    static long first(String path) throws Exception {\n"
    '        return Long.parseLong(Files.readString(Path.of(path)).trim().split("\\\\s+")[0]);\n'
    "    }\n\n    public static void main(String[] args) throws Exception {\n"
    "        System.exit(first(args[1]) == 2 * first(args[0]) ? 0 : 1);\n    }\n}\n",
    "javascript": "const fs = require('fs');\n"
    "const [n] = fs.readFileSync(process.argv[2], 'utf8').trim().split(/\\s+/).map(Number);\n"
    "const [m] = fs.readFileSync(process.argv[3], 'utf8').trim().split(/\\s+/).map(Number);\n"
    "process.exitCode = m === 2 * n ? 0 : 1;\n",
    "typescript": "const fs = require('fs');\n"
    "const [n]: number[] = fs.readFileSync(process.argv[2], 'utf8').trim().split(/\\s+/)"
    ".map(Number);\n"
    "const [m]: number[] = fs.readFileSync(process.argv[3], 'utf8').trim().split(/\\s+/)"
    ".map(Number);\nprocess.exitCode = m === 2 * n ? 0 : 1;\n",
    "go": 'package main\n\nimport (\n\t"os"\n\t"strconv"\n\t"strings"\n)\n\n'
    "func first(path string) int64 {\n\tdata, _ := os.ReadFile(path)\n"
    "\tn, _ := strconv.ParseInt(strings.Fields(string(data))[0], 10, 64)\n\treturn n\n}\n\n"
    "func main() {\n\tif first(os.Args[2]) != 2*first(os.Args[1]) {\n\t\tos.Exit(1)\n\t}\n}\n",
    "rust": "use std::fs;\n\nfn first(path: &str) -> i64 {\n"
    "    let text = fs::read_to_string(path).unwrap();\n"
    "    text.split_whitespace().next().unwrap().parse().unwrap()\n}\n\n"
    "fn main() {\n    let args: Vec<String> = std::env::args().collect();\n"
    "    std::process::exit(if first(&args[2]) == 2 * first(&args[1]) { 0 } else { 1 });\n}\n",
}


def fenced(language: str, source: str) -> str:
    return f"Here is my answer.\n```{FENCE[language]}\n{source.rstrip()}\n```\n"


def stdio_item(language: str, source: str, tests: list[tuple[str, str]], **extra: Any) -> dict:
    return {
        "language": language,
        "completion": fenced(language, source),
        "tests": [{"stdin": i, "stdout": o} for i, o in tests],
        **extra,
    }


def harness_item(language: str, source: str, harness: str) -> dict:
    return {"language": language, "completion": fenced(language, source), "test": harness}
