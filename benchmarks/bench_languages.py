"""Every compiled language through /code, beside the same compile-and-run done unsandboxed.

    python benchmarks/bench_languages.py [--programs 12] [--tests 5] [--languages c,cpp,...]
        [--rounds 1] [--form both|stdio|harness] [--plain-flags sandbox|person]

For each language, in one run on the same machine:
- sandboxed: `--programs` distinct honest programs in the stdin/stdout form (`--tests` tests
  each: read numbers, print them sorted and their sum) and as many in the harness form (a
  function and a HumanEval-X-style test harness), in one POST /code to a real service (a uvicorn
  subprocess, one warm pool per image, pool size = CPU count);
- unsandboxed: the same programs and tests compiled and run the plain way (`g++ -O2`, `javac` +
  `java`, `go build`/`go test -c`, `rustc`, `tsc` + `node`; benchmarks/plain_compile_run.py)
  with as many at a time as the service has containers, inside a plain container of the same
  image (no limits, no uids, no pool, /tmp a tmpfs as the sandbox's is), so both sides use the
  same toolchain versions and flags (the catalogue's; `--plain-flags person`: Rust as a
  person's `rustc -O`, with rustc's own codegen and linker defaults).
Both sides run once untimed first (the JIT, Go's build cache and the page cache are warm for
both); `--rounds N` times each side N times, back to back and alternating which goes first, and
reports the means (on a machine others share, one round is at the mercy of their load);
`--form harness` (or `stdio`) times one test form alone. Prints, per language: programs/s for
each side, sandboxed/unsandboxed (target >= 0.8), the compile share of the unsandboxed time,
and the sandbox's own compile seconds (from /metrics) beside the plain compiler's. Needs
dockerd and the images (scripts/build_images.sh; SANDBOX_IMAGE_PREFIX picks another set).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
from typing import Any

import httpx

from reward_service.languages import FAMILY, LANGUAGES
from reward_service.testing import running_service

PLAIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plain_compile_run.py")
# the images both sides use, as scripts/build_images.sh names them (another set: e.g. a branch's)
PREFIX = os.environ.get("SANDBOX_IMAGE_PREFIX", "reward-sandbox-")
COMPILED = [language for language in LANGUAGES if language != "python"]

SORT_SUM = {
    "c": "#include <stdio.h>\n#include <stdlib.h>\n"
    "static int cmp(const void *a, const void *b) { long long x = *(const long long *)a, "
    "y = *(const long long *)b; return (x > y) - (x < y); }\n"
    'int main(void) { int n; scanf("%d", &n); long long *v = malloc(n * sizeof *v), s = 0;\n'
    '  for (int i = 0; i < n; i++) { scanf("%lld", &v[i]); s += v[i]; }\n'
    "  qsort(v, n, sizeof *v, cmp);\n"
    '  for (int i = 0; i < n; i++) printf("%lld ", v[i]);\n'
    '  printf("\\n%lld\\n", s); return 0; }\n',
    "cpp": "#include <bits/stdc++.h>\nusing namespace std;\n"
    "int main() { int n; cin >> n; vector<long long> v(n); for (auto &x : v) cin >> x;\n"
    "  sort(v.begin(), v.end()); for (auto x : v) cout << x << ' ';\n"
    "  cout << '\\n' << accumulate(v.begin(), v.end(), 0LL) << '\\n'; }\n",
    "java": "import java.util.*;\n\npublic class Main {\n"
    "    public static void main(String[] args) {\n        Scanner in = new Scanner(System.in);\n"
    "        int n = in.nextInt(); long[] v = new long[n]; long s = 0;\n"
    "        for (int i = 0; i < n; i++) { v[i] = in.nextLong(); s += v[i]; }\n"
    "        Arrays.sort(v); StringBuilder out = new StringBuilder();\n"
    "        for (long x : v) out.append(x).append(' ');\n"
    "        System.out.println(out); System.out.println(s);\n    }\n}\n",
    "javascript": "const t = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/)"
    ".map(Number);\n"
    "const v = t.slice(1, 1 + t[0]).sort((a, b) => a - b);\n"
    "console.log(v.join(' '));\nconsole.log(v.reduce((a, b) => a + b, 0));\n",
    "typescript": "const t: number[] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/)"
    ".map(Number);\nconst v: number[] = t.slice(1, 1 + t[0]).sort((a, b) => a - b);\n"
    "console.log(v.join(' '));\nconsole.log(v.reduce((a, b) => a + b, 0));\n",
    "go": 'package main\n\nimport (\n\t"bufio"\n\t"fmt"\n\t"os"\n\t"sort"\n)\n\n'
    "func main() {\n\tin := bufio.NewReader(os.Stdin)\n\tvar n int\n\tfmt.Fscan(in, &n)\n"
    "\tv := make([]int64, n)\n\tvar s int64\n\tfor i := range v {\n\t\tfmt.Fscan(in, &v[i])\n"
    "\t\ts += v[i]\n\t}\n\tsort.Slice(v, func(i, j int) bool { return v[i] < v[j] })\n"
    '\tfor _, x := range v {\n\t\tfmt.Print(x, " ")\n\t}\n\tfmt.Println()\n\tfmt.Println(s)\n}\n',
    "rust": "use std::io::Read;\n\nfn main() {\n    let mut s = String::new();\n"
    "    std::io::stdin().read_to_string(&mut s).unwrap();\n"
    "    let t: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();\n"
    "    let mut v = t[1..1 + t[0] as usize].to_vec();\n    v.sort();\n"
    "    let line: Vec<String> = v.iter().map(|x| x.to_string()).collect();\n"
    '    println!("{}", line.join(" "));\n    println!("{}", v.iter().sum::<i64>());\n}\n',
}

# a function and a HumanEval-X-style harness that checks it
HARNESS = {
    "c": (
        "#include <string.h>\nint count_vowels(const char *s) { int n = 0;\n"
        '  for (; *s; s++) n += strchr("aeiou", *s) != 0; return n; }\n',
        '#include <assert.h>\nint main(void) { assert(count_vowels("hello") == 2);\n'
        '  assert(count_vowels("") == 0); assert(count_vowels("aaa") == 3); return 0; }\n',
    ),
    "cpp": (
        "#include <string>\nusing namespace std;\nint count_vowels(string s) { int n = 0;\n"
        '  for (char c : s) n += string("aeiou").find(c) != string::npos; return n; }\n',
        '#include <cassert>\nint main() { assert(count_vowels("hello") == 2);\n'
        '  assert(count_vowels("") == 0); assert(count_vowels("aaa") == 3); }\n',
    ),
    "java": (
        "class Solution {\n    public int countVowels(String s) {\n        int n = 0;\n"
        '        for (char c : s.toCharArray()) if ("aeiou".indexOf(c) >= 0) n++;\n'
        "        return n;\n    }\n}\n",
        "public class Main {\n    public static void main(String[] args) {\n"
        "        Solution s = new Solution();\n"
        '        if (s.countVowels("hello") != 2 || s.countVowels("") != 0)\n'
        "            throw new AssertionError();\n"
        "    }\n}\n",
    ),
    "javascript": (
        "function countVowels(s) { return [...s].filter((c) => 'aeiou'.includes(c)).length; }\n",
        "const assert = require('node:assert');\nassert.deepEqual(countVowels('hello'), 2);\n"
        "assert.deepEqual(countVowels(''), 0);\n",
    ),
    "typescript": (
        "function countVowels(s: string): number {\n"
        "  return [...s].filter((c) => 'aeiou'.includes(c)).length;\n}\n",
        "declare var require: any;\nconst assert = require('node:assert');\n"
        "assert.deepEqual(countVowels('hello'), 2);\nassert.deepEqual(countVowels(''), 0);\n",
    ),
    "go": (
        'package main\n\nimport "strings"\n\nfunc CountVowels(s string) int {\n\tn := 0\n'
        '\tfor _, c := range s {\n\t\tif strings.ContainsRune("aeiou", c) {\n\t\t\tn++\n\t\t}\n'
        "\t}\n\treturn n\n}\n",
        'package main\n\nimport (\n\t"testing"\n\n\t"github.com/stretchr/testify/assert"\n)\n\n'
        'func TestCountVowels(t *testing.T) {\n\tassert.Equal(t, 2, CountVowels("hello"))\n'
        '\tassert.Equal(t, 0, CountVowels(""))\n}\n',
    ),
    "rust": (
        "fn count_vowels(s: &str) -> usize {\n"
        '    s.chars().filter(|c| "aeiou".contains(*c)).count()\n}\n',
        "#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn test_count() {\n"
        '        assert_eq!(count_vowels("hello"), 2);\n        assert_eq!(count_vowels(""), 0);\n'
        "    }\n}\n",
    ),
}
COMMENT = {"c": "//", "cpp": "//", "java": "//", "javascript": "//", "typescript": "//"}
COMMENT |= {"go": "//", "rust": "//"}


def stdio_tests(k: int, count: int) -> list[dict[str, str]]:
    tests = []
    for t in range(count):
        numbers = [(k * 7919 + t * 104729 + i * 31) % 1000 - 500 for i in range(50 + t)]
        ordered = " ".join(str(x) for x in sorted(numbers))
        tests.append(
            {
                "stdin": f"{len(numbers)}\n{' '.join(map(str, numbers))}\n",
                "stdout": f"{ordered}\n{sum(numbers)}\n",
            }
        )
    return tests


def workload(language: str, programs: int, tests: int, form: str = "both") -> list[dict[str, Any]]:
    """Jobs: `programs` distinct stdin/stdout programs and as many harness programs (`form`:
    both, or only `stdio` or `harness` ones)."""
    jobs: list[dict[str, Any]] = []
    mark = COMMENT[language]
    for k in range(programs if form != "harness" else 0):
        source = f"{SORT_SUM[language]}{mark} variant {k}\n"
        jobs.append({"language": language, "program": source, "tests": stdio_tests(k, tests)})
    program, harness = HARNESS[language]
    for k in range(programs if form != "stdio" else 0):
        jobs.append(
            {
                "language": language,
                "program": f"{program}{mark} variant {k}\n",
                "harness": harness,
                "tests": [{}],
            }
        )
    return jobs


def as_item(job: dict[str, Any]) -> dict[str, Any]:
    fence = f"```{job['language']}\n{job['program']}```"
    item: dict[str, Any] = {"language": job["language"], "completion": fence}
    if "harness" in job:
        item["test"] = job["harness"]
    else:
        item["tests"] = job["tests"]
        item["compare"] = "tokens"
    return item


def compile_seconds(url: str) -> dict[str, float]:
    """reward_sandbox_compile_seconds_sum per language, from /metrics."""
    text = httpx.get(f"{url}/metrics", timeout=30).text
    found = re.findall(r'reward_sandbox_compile_seconds_sum\{language="(\w+)"\} ([\d.e+-]+)', text)
    return {language: float(value) for language, value in found}


def sandboxed(url: str, jobs: list[dict[str, Any]]) -> tuple[float, int, float]:
    """(wall seconds, tests passed, compile seconds) of one POST /code."""
    items = [as_item(job) for job in jobs]
    before = compile_seconds(url)
    started = time.perf_counter()
    response = httpx.post(f"{url}/code", json={"items": items}, timeout=1800)
    wall = time.perf_counter() - started
    response.raise_for_status()
    results = response.json()["results"]
    passed = sum(r["passed"] for r in results)
    language = jobs[0]["language"]
    compiled = compile_seconds(url).get(language, 0.0) - before.get(language, 0.0)
    return wall, passed, compiled


class PlainContainer:
    """A container of the language's image with no limits, for the unsandboxed runs; `flags`:
    Rust's, the sandbox's or a person's (plain_compile_run.py)."""

    def __init__(self, image: str, flags: str = "sandbox") -> None:
        self.flags = flags
        self.id = subprocess.check_output(
            # /tmp a tmpfs, as the sandbox's build and run directories are
            ["docker", "run", "-d", "--rm", "--tmpfs", "/tmp:exec", "--entrypoint", "sleep", image,
             "infinity"], text=True,
        ).strip()  # fmt: skip
        subprocess.run(["docker", "cp", PLAIN, f"{self.id}:/plain.py"], check=True)

    def run(self, jobs: list[dict[str, Any]], workers: int) -> dict[str, Any]:
        with tempfile.NamedTemporaryFile("w", suffix=".json") as fh:
            json.dump(jobs, fh)
            fh.flush()
            subprocess.run(["docker", "cp", fh.name, f"{self.id}:/jobs.json"], check=True)
        command = ["docker", "exec", self.id, "python3", "/plain.py", "/jobs.json"]
        options = ["--workers", str(workers), "--flags", self.flags]
        out = subprocess.check_output([*command, *options], text=True)
        result: dict[str, Any] = json.loads(out)
        return result

    def close(self) -> None:
        subprocess.run(["docker", "rm", "-f", self.id], capture_output=True)


def timed_rounds(
    url: str, plain: PlainContainer, jobs: list[dict[str, Any]], workers: int, rounds: int
) -> tuple[float, int, float, dict[str, Any]]:
    """Both sides `rounds` times, back to back, alternating which goes first: the sandboxed
    side's mean wall seconds, fewest tests passed and mean compile seconds, and the plain
    side's means (its `passed` the fewest, its `errors` the last round's)."""
    sandbox_runs, plain_runs = [], []
    for r in range(rounds):
        if r % 2:
            plain_runs.append(plain.run(jobs, workers))
        sandbox_runs.append(sandboxed(url, jobs))
        if not r % 2:
            plain_runs.append(plain.run(jobs, workers))
    base = dict(plain_runs[-1])
    for key in ("wall_s", "compile_s", "run_s"):
        base[key] = statistics.mean(run[key] for run in plain_runs)
    base["passed"] = min(run["passed"] for run in plain_runs)
    wall = statistics.mean(run[0] for run in sandbox_runs)
    compiled = statistics.mean(run[2] for run in sandbox_runs)
    return wall, min(run[1] for run in sandbox_runs), compiled, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=12)
    parser.add_argument("--tests", type=int, default=5)
    parser.add_argument("--languages", default=",".join(COMPILED))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--form", choices=("both", "stdio", "harness"), default="both")
    parser.add_argument(
        "--plain-flags",
        choices=("sandbox", "person"),
        default="sandbox",
        help="the plain side's Rust flags: the sandbox's (default), or a person's `rustc -O`",
    )
    args = parser.parse_args()
    languages = [name.strip() for name in args.languages.split(",") if name.strip()]
    workers = os.cpu_count() or 1
    images = {FAMILY[language]: f"{PREFIX}{FAMILY[language]}:latest" for language in languages}
    env = {
        "REWARD_SANDBOX_BACKEND": "docker",
        "REWARD_SANDBOX_LANGUAGES": ",".join(languages),
        "REWARD_SANDBOX_IMAGES": json.dumps(images),
    }
    forms = {
        "both": f"{args.programs} stdin/stdout programs x {args.tests} tests + {args.programs} "
        "harness programs",
        "stdio": f"{args.programs} stdin/stdout programs x {args.tests} tests",
        "harness": f"{args.programs} harness programs",
    }
    print(
        f"{forms[args.form]} per language; {workers} containers per image, {workers} plain "
        f"workers; mean of {args.rounds} round(s)"
    )
    header = f"{'language':<11} {'sandboxed':>12} {'plain':>12} {'ratio':>7} "
    header += f"{'plain compile share':>20} {'compile s: sandbox / plain':>27}"
    print(header)
    rows = []
    with running_service(timeout_s=180, **env) as url:
        for language in languages:
            jobs = workload(language, args.programs, args.tests, args.form)
            total = sum(len(job["tests"]) for job in jobs)
            warm = workload(language, 2, 1, args.form)
            plain = PlainContainer(images[FAMILY[language]], args.plain_flags)
            try:
                sandboxed(url, warm)
                plain.run(warm, workers)
                wall, passed, compiled, base = timed_rounds(url, plain, jobs, workers, args.rounds)
            finally:
                plain.close()
            if passed != total or base["passed"] != total:
                print(f"{language}: not every test passed (sandboxed {passed}, plain "
                      f"{base['passed']} of {total}): {base['errors']}")  # fmt: skip
            n = len(jobs)
            ratio = (n / wall) / (n / base["wall_s"])
            share = base["compile_s"] / max(base["compile_s"] + base["run_s"], 1e-9)
            rows.append((language, ratio))
            print(
                f"{language:<11} {n / wall:>8.1f} p/s {n / base['wall_s']:>8.1f} p/s "
                f"{ratio:>6.2f}x {share:>19.0%} {compiled:>13.1f} / {base['compile_s']:<11.1f}"
            )
    missed = [language for language, ratio in rows if ratio < 0.8]
    verdict = "met" if not missed else "missed for " + ", ".join(missed)
    print(f"target sandboxed >= 0.8x plain: {verdict}")


if __name__ == "__main__":
    main()
