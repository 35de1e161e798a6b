"""Correct programs written the way current models write them, several per language: short
solutions that use what today's toolchains and judges give (Python 3.12+, C23, C++20/23, Java 21,
Node.js 22+, TypeScript 5, Go 1.22+, Rust 1.80+), in both test forms, plus the judge conventions
competitive programmers rely on (`ONLINE_JUDGE` defined, a DFS a million calls deep).

Every item here must score 1.0 (tests/sandbox/test_modern_programs.py). `DEEP` items need the
stack judges give (as large as the memory limit) and run with `DEEP_LIMITS`.
"""

# ruff: noqa: E501  (programs as models write them, long lines included)
from __future__ import annotations

from typing import Any

from tests.sandbox.language_programs import harness_item, stdio_item

DEEP_LIMITS = {"memory_mb": 256, "timeout_s": 10}


def asserts_item(source: str, tests: list[str]) -> dict[str, Any]:
    return {"language": "python", "completion": f"```python\n{source}```\n", "tests": tests}


PYTHON = {
    "pep695 generics and type alias": asserts_item(
        r"""from collections.abc import Iterable

type Pair[T] = tuple[T, T]


def min_max[T: (int, float)](values: Iterable[T]) -> Pair[T]:
    it = iter(values)
    lo = hi = next(it)
    for v in it:
        lo, hi = min(lo, v), max(hi, v)
    return lo, hi
""",
        ["assert min_max([3, 1, 2]) == (1, 3)", "assert min_max([2.5]) == (2.5, 2.5)"],
    ),
    "itertools.batched": asserts_item(
        r'''from itertools import batched


def chunk_sums(nums: list[int], size: int) -> list[int]:
    """Sum of each consecutive chunk of `size` numbers (the last may be shorter)."""
    return [sum(chunk) for chunk in batched(nums, size)]
''',
        ["assert chunk_sums([1, 2, 3, 4, 5], 2) == [3, 7, 5]", "assert chunk_sums([], 3) == []"],
    ),
    "3.12 f-strings with nested quotes": stdio_item(
        "python",
        r"""import sys
from collections import Counter

words = sys.stdin.read().split()
counts = Counter(words)
print(f"{", ".join(f"{w}={c}" for w, c in sorted(counts.items()))}")
print(f"{"most common"}: {counts.most_common(1)[0][0]!r}")
""",
        [("b a b c b a", "a=2, b=3, c=1\nmost common: 'b'")],
    ),
    "generic class with override and match": asserts_item(
        r"""from dataclasses import dataclass
from typing import override


class Shape:
    def area(self) -> float:
        raise NotImplementedError


@dataclass
class Rect(Shape):
    w: float
    h: float

    @override
    def area(self) -> float:
        return self.w * self.h


class Stack[T]:
    def __init__(self) -> None:
        self._items: list[T] = []

    def push(self, item: T) -> None:
        self._items.append(item)

    def pop(self) -> T | None:
        return self._items.pop() if self._items else None


def describe(value: object) -> str:
    match value:
        case Rect(w=w, h=h) if w == h:
            return f"square {w:g}"
        case Rect(w=w, h=h):
            return f"rect {w:g}x{h:g}"
        case [first, *rest]:
            return f"list starting {first} (+{len(rest)})"
        case _:
            return "unknown"


def total_area(sizes: list[tuple[float, float]]) -> float:
    stack: Stack[Rect] = Stack()
    for w, h in sizes:
        stack.push(Rect(w, h))
    total = 0.0
    while (rect := stack.pop()) is not None:
        total += rect.area()
    return total
""",
        [
            "assert describe(Rect(2, 2)) == 'square 2'",
            "assert describe([1, 2, 3]) == 'list starting 1 (+2)'",
            "assert total_area([(1, 2), (3, 4)]) == 14.0",
        ],
    ),
}

C = {
    "c23 bool, nullptr, constexpr, typeof, digit separators": stdio_item(
        "c",
        r"""#include <stdio.h>

constexpr int MAXV = 1'000'000;
static int seen[MAXV + 1];

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) return 1;
    bool duplicate = false;
    typeof(n) distinct = 0;
    for (int i = 0; i < n; i++) {
        int x;
        scanf("%d", &x);
        if (seen[x]++) duplicate = true;
        else distinct++;
    }
    int *unused = nullptr;
    static_assert(MAXV == 1000000);
    printf("%d %s%s\n", distinct, duplicate ? "true" : "false", unused ? "!" : "");
    return 0;
}
""",
        [("5\n1 2 3 2 1000000\n", "4 true"), ("2\n0 7\n", "2 false")],
    ),
    "c23 harness with auto and attributes": harness_item(
        "c",
        r"""#include <stddef.h>

[[nodiscard]] static inline bool is_power_of_two(unsigned long long x) {
    return x != 0 && (x & (x - 1)) == 0;
}

int count_powers(const unsigned long long *xs, size_t n) {
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        auto x = xs[i];
        count += is_power_of_two(x);
    }
    return count;
}
""",
        r"""#include <assert.h>
int main(void) {
    unsigned long long xs[] = {1, 2, 3, 0b1000, 0x1'0000'0000, 12};
    assert(count_powers(xs, 6) == 4);
    assert(count_powers(nullptr, 0) == 0);
    return 0;
}
""",
    ),
    "ONLINE_JUDGE guards a local input file": stdio_item(
        "c",
        r"""#include <stdio.h>

int main(void) {
#ifndef ONLINE_JUDGE
    freopen("input.txt", "r", stdin);
    freopen("output.txt", "w", stdout);
#endif
    long long a, b;
    scanf("%lld %lld", &a, &b);
    printf("%lld\n", a * b);
    return 0;
}
""",
        [("6 7", "42"), ("-3 5", "-15")],
    ),
}

CPP = {
    "ranges, views and print": stdio_item(
        "cpp",
        r"""#include <bits/stdc++.h>
#include <print>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    cin.tie(nullptr);
    int n;
    cin >> n;
    vector<long long> a(n);
    for (auto& x : a) cin >> x;
    ranges::sort(a);
    auto even_squares = a | views::filter([](long long x) { return x % 2 == 0; })
                          | views::transform([](long long x) { return x * x; });
    long long total = 0;
    for (long long v : even_squares) total += v;
    println("{} {} {}", total, ranges::max(a), ranges::count(a, a.front()));
}
""",
        [("5\n4 1 2 2 9\n", "24 9 1"), ("3\n-2 -2 5\n", "8 5 2")],
    ),
    "concepts, spaceship, designated initialisers": harness_item(
        "cpp",
        r"""#include <bits/stdc++.h>

struct Version {
    int major = 0, minor = 0, patch = 0;
    auto operator<=>(const Version&) const = default;
};

template <std::integral T>
T gcd_all(std::span<const T> xs) {
    return std::accumulate(xs.begin(), xs.end(), T{0}, [](T a, T b) { return std::gcd(a, b); });
}

std::optional<Version> parse_version(std::string_view s) {
    Version v;
    int* parts[] = {&v.major, &v.minor, &v.patch};
    for (int i = 0; i < 3; i++) {
        auto dot = s.find('.');
        auto piece = s.substr(0, dot);
        auto [ptr, ec] = std::from_chars(piece.data(), piece.data() + piece.size(), *parts[i]);
        if (ec != std::errc{} || ptr != piece.data() + piece.size()) return std::nullopt;
        if (i < 2 && dot == std::string_view::npos) return std::nullopt;
        s = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
    }
    return s.empty() ? std::optional{v} : std::nullopt;
}

Version newest(const std::vector<std::string>& tags) {
    Version best{};
    for (const auto& tag : tags) {
        if (auto v = parse_version(tag); v && *v > best) best = *v;
    }
    return best;
}
""",
        r"""#include <cassert>
int main() {
    assert((parse_version("1.2.3") == Version{.major = 1, .minor = 2, .patch = 3}));
    assert(!parse_version("1.2"));
    assert((newest({"1.2.3", "1.10.0", "x", "1.9.9"}) == Version{.major = 1, .minor = 10}));
    std::vector<long long> xs{12, 18, 30};
    assert(gcd_all<long long>(xs) == 6);
    assert((Version{1, 2, 3} < Version{1, 3, 0}));
}
""",
    ),
    "format, contains, starts_with": harness_item(
        "cpp",
        r"""#include <bits/stdc++.h>
using namespace std;

string summarize(const vector<string>& words) {
    map<string, int> freq;
    for (const auto& w : words) freq[w]++;
    string out;
    for (const auto& [word, count] : freq) {
        if (word.starts_with('#') || word.ends_with('?')) continue;
        out += format("{}:{} ", word, count);
    }
    if (freq.contains("error")) out += format("[{:>5}]", "ERR");
    return out;
}
""",
        r"""#include <cassert>
int main() {
    assert(summarize({"b", "a", "b", "#tag", "why?"}) == "a:1 b:2 ");
    assert(summarize({"error"}) == "error:1 [  ERR]");
}
""",
    ),
    "ONLINE_JUDGE with fast io": stdio_item(
        "cpp",
        r"""#include <bits/stdc++.h>
using namespace std;

int main() {
#ifndef ONLINE_JUDGE
    freopen("in.txt", "r", stdin);
#endif
    ios::sync_with_stdio(false);
    cin.tie(nullptr);
    int t;
    cin >> t;
    while (t--) {
        long long n;
        cin >> n;
        cout << n * (n + 1) / 2 << '\n';
    }
}
""",
        [("2\n3\n1000000\n", "6\n500000500000")],
    ),
}

JAVA = {
    "records, sealed types, switch patterns": harness_item(
        "java",
        r"""import java.util.*;

sealed interface Expr permits Num, Add, Mul, Neg {}
record Num(long value) implements Expr {}
record Add(Expr left, Expr right) implements Expr {}
record Mul(Expr left, Expr right) implements Expr {}
record Neg(Expr inner) implements Expr {}

class Solution {
    static long eval(Expr e) {
        return switch (e) {
            case Num n -> n.value();
            case Add(Expr l, Expr r) -> eval(l) + eval(r);
            case Mul(Num(var a), Num(var b)) -> a * b;
            case Mul(Expr l, Expr r) -> eval(l) * eval(r);
            case Neg(Expr inner) -> -eval(inner);
        };
    }

    static String show(Object o) {
        return switch (o) {
            case Integer i when i > 9 -> "big " + i;
            case Integer i -> "small " + i;
            case String s -> "text " + s.length();
            default -> "other";
        };
    }
}
""",
        r"""public class Main {
    public static void main(String[] args) {
        Expr e = new Add(new Num(2), new Mul(new Num(3), new Neg(new Num(4))));
        if (Solution.eval(e) != -10) throw new AssertionError(Solution.eval(e));
        if (Solution.eval(new Mul(new Num(6), new Num(7))) != 42) throw new AssertionError();
        if (!Solution.show(12).equals("big 12")) throw new AssertionError();
        if (!Solution.show("abc").equals("text 3")) throw new AssertionError();
    }
}
""",
    ),
    "sequenced collections and streams": stdio_item(
        "java",
        r'''import java.io.*;
import java.util.*;
import java.util.stream.*;

public class Main {
    public static void main(String[] args) throws IOException {
        var in = new BufferedReader(new InputStreamReader(System.in));
        int n = Integer.parseInt(in.readLine().trim());
        List<Integer> xs = Arrays.stream(in.readLine().trim().split("\\s+"))
            .map(Integer::parseInt)
            .sorted()
            .toList();
        var seen = new LinkedHashSet<>(xs);
        System.out.println(xs.getFirst() + " " + xs.getLast() + " " + seen.reversed().getFirst());
        String joined = xs.reversed().stream().limit(n).map(String::valueOf).collect(Collectors.joining(","));
        System.out.println("""
            top: %s""".formatted(joined).strip());
    }
}
''',
        [("4\n5 3 9 3\n", "3 9 9\ntop: 9,5,3,3")],
    ),
    "MultiPL-E style with var and enhanced instanceof": harness_item(
        "java",
        r"""import java.util.*;

class Problem {
    public static long countVowels(String s) {
        var vowels = Set.of('a', 'e', 'i', 'o', 'u');
        return s.toLowerCase().chars().filter(c -> vowels.contains((char) c)).count();
    }

    public static String kind(Object o) {
        if (o instanceof String s && !s.isBlank()) return "word:" + s.strip();
        return "blank";
    }""",
        r"""
    public static void main(String[] args) {
        assert(countVowels("Hello World") == 3L);
        assert(countVowels("") == 0L);
        assert(kind(" hi ").equals("word:hi"));
        assert(kind("  ").equals("blank"));
    }

}
""",
    ),
}

JAVASCRIPT = {
    "toSorted, toReversed, with, groupBy": stdio_item(
        "javascript",
        r"""const lines = require('fs').readFileSync(0, 'utf8').trim().split('\n');
const nums = lines[1].split(' ').map(Number);
const sorted = nums.toSorted((a, b) => a - b);
const reversed = sorted.toReversed();
const patched = nums.with(0, -1);
const byParity = Object.groupBy(nums, (x) => (x % 2 === 0 ? 'even' : 'odd'));
console.log(sorted.join(' '));
console.log(reversed.at(0), nums[0], patched[0]);
console.log(`even=${byParity.even?.length ?? 0} odd=${byParity.odd?.length ?? 0}`);
console.log(nums.findLast((x) => x > 2), nums.findLastIndex((x) => x > 100));
""",
        [("5\n3 1 4 1 5\n", "1 1 3 4 5\n5 3 -1\neven=1 odd=4\n5 -1")],
    ),
    "set methods, iterator helpers, structuredClone": harness_item(
        "javascript",
        r"""function commonTags(a, b) {
  return [...new Set(a).intersection(new Set(b))].toSorted();
}

function firstSquares(n) {
  function* naturals() {
    for (let i = 1; ; i++) yield i;
  }
  return naturals().map((x) => x * x).filter((x) => x % 2 === 1).take(n).toArray();
}

function withDefaults(config) {
  const copy = structuredClone(config);
  copy.retries ??= 3;
  copy.nested.level ||= 1;
  return copy;
}
""",
        r"""const assert = require('node:assert');
assert.deepStrictEqual(commonTags(['a', 'b', 'c'], ['c', 'a', 'z']), ['a', 'c']);
assert.deepStrictEqual(firstSquares(3), [1, 9, 25]);
const original = { nested: { level: 0 } };
assert.deepStrictEqual(withDefaults(original), { nested: { level: 1 }, retries: 3 });
assert.strictEqual(original.nested.level, 0);
""",
    ),
    "private fields and static blocks": harness_item(
        "javascript",
        r"""class LRUCache {
  #capacity;
  #map = new Map();
  static #created = 0;
  static {
    LRUCache.kind = 'lru';
  }

  constructor(capacity) {
    this.#capacity = capacity;
    LRUCache.#created++;
  }

  get(key) {
    if (!this.#map.has(key)) return -1;
    const value = this.#map.get(key);
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  put(key, value) {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#capacity) this.#map.delete(this.#map.keys().next().value);
  }

  static get created() {
    return LRUCache.#created;
  }
}
""",
        r"""const assert = require('node:assert');

function test() {
  const cache = new LRUCache(2);
  cache.put(1, 1);
  cache.put(2, 2);
  assert.strictEqual(cache.get(1), 1);
  cache.put(3, 3);
  assert.strictEqual(cache.get(2), -1);
  assert.strictEqual(cache.get(3), 3);
  assert.strictEqual(LRUCache.kind, 'lru');
  assert.strictEqual(LRUCache.created, 1);
}

test();
""",
    ),
}

TYPESCRIPT = {
    "satisfies, const type parameters, NoInfer": harness_item(
        "typescript",
        r"""type Route = { path: string; method: "GET" | "POST" };

const routes = {
  home: { path: "/", method: "GET" },
  login: { path: "/login", method: "POST" },
} satisfies Record<string, Route>;

function firstOf<const T extends readonly unknown[]>(items: T): T[0] {
  return items[0];
}

function pick<T extends string>(options: T[], fallback: NoInfer<T>): T {
  return options.length > 0 ? options[0] : fallback;
}

function methodOf(name: keyof typeof routes): Route["method"] {
  return routes[name].method;
}
""",
        r"""declare var require: any;
const assert = require('node:assert');
assert.strictEqual(firstOf(["a", "b"] as const), "a");
assert.strictEqual(pick(["x", "y"], "y"), "x");
assert.strictEqual(pick<"x" | "y">([], "y"), "y");
assert.strictEqual(methodOf("login"), "POST");
assert.strictEqual(routes.home.path, "/");
""",
    ),
    "accessor fields and a generic class": harness_item(
        "typescript",
        r"""class Counter<K extends string | number> {
  accessor total = 0;
  #counts = new Map<K, number>();

  add(key: K, by = 1): this {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + by);
    this.total += by;
    return this;
  }

  top(n: number): K[] {
    return [...this.#counts.entries()]
      .toSorted(([, a], [, b]) => b - a)
      .slice(0, n)
      .map(([key]) => key);
  }
}
""",
        r"""import assert from "node:assert";

const counter = new Counter<string>().add("a").add("b", 3).add("a");
assert.deepStrictEqual(counter.top(1), ["b"]);
assert.strictEqual(counter.total, 5);
""",
    ),
    "Buffer and Node types": harness_item(
        "typescript",
        r"""function toHex(b: Buffer): string {
  return b.toString("hex");
}

function checksum(data: Buffer | string): number {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  return bytes.reduce((sum, byte) => (sum + byte) % 256, 0);
}
""",
        r"""const assert = require("node:assert");
assert.strictEqual(toHex(Buffer.from([1, 171, 255])), "01abff");
assert.strictEqual(checksum("AB"), 131);
assert.strictEqual(checksum(Buffer.alloc(3, 200)), 88);
""",
    ),
    "stdin with node:fs import and ES2023 arrays": stdio_item(
        "typescript",
        r"""import { readFileSync } from "node:fs";

const [header, ...rows] = readFileSync(0, "utf8").trim().split("\n");
const n: number = Number(header);
const scores = rows.slice(0, n).map((line) => {
  const [name, score] = line.split(" ");
  return { name, score: Number(score) } as const;
});
const ranked = scores.toSorted((a, b) => b.score - a.score || a.name.localeCompare(b.name));
const last = ranked.findLast((s) => s.score > 0);
console.log(ranked.map((s) => s.name).join(" "));
console.log(last?.name ?? "none");
""",
        [("3\nbob 5\nann 7\ncid 0\n", "ann bob cid\nbob")],
    ),
}

GO = {
    "slices, maps, min, max, clear": stdio_item(
        "go",
        r"""package main

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"slices"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(in, &n)
	nums := make([]int, n)
	counts := map[int]int{}
	for i := range n {
		fmt.Fscan(in, &nums[i])
		counts[nums[i]]++
	}
	slices.Sort(nums)
	keys := slices.Sorted(maps.Keys(counts))
	lo, hi := slices.Min(nums), slices.Max(nums)
	fmt.Println(keys, min(lo, 0), max(hi, 0), slices.Contains(nums, 7))
	clear(counts)
	fmt.Println(len(counts), slices.Index(keys, hi))
}
""",
        [("5\n3 -1 3 7 2\n", "[-1 2 3 7] -1 7 true\n0 3")],
    ),
    "range over int, generics, per-iteration loop variables": harness_item(
        "go",
        r"""package main

import "cmp"

func MaxBy[T any, K cmp.Ordered](items []T, key func(T) K) (best T) {
	for i, item := range items {
		if i == 0 || key(item) > key(best) {
			best = item
		}
	}
	return best
}

func Closures(n int) []int {
	var fs []func() int
	for i := range n {
		fs = append(fs, func() int { return i * i })
	}
	out := make([]int, 0, n)
	for _, f := range fs {
		out = append(out, f())
	}
	return out
}
""",
        r"""package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMaxBy(t *testing.T) {
	words := []string{"go", "gopher", "rust"}
	assert.Equal(t, "gopher", MaxBy(words, func(s string) int { return len(s) }))
}

func TestClosures(t *testing.T) {
	assert.Equal(t, []int{0, 1, 4, 9}, Closures(4))
}
""",
    ),
    "iterators (range over func)": harness_item(
        "go",
        r"""package main

import (
	"iter"
	"slices"
)

func Fibonacci() iter.Seq[int] {
	return func(yield func(int) bool) {
		a, b := 0, 1
		for {
			if !yield(a) {
				return
			}
			a, b = b, a+b
		}
	}
}

func Take[T any](seq iter.Seq[T], n int) []T {
	out := []T{}
	for v := range seq {
		if len(out) == n {
			break
		}
		out = append(out, v)
	}
	return out
}

func EvenIndexed(xs []string) []string {
	var out []string
	for i, x := range slices.All(xs) {
		if i%2 == 0 {
			out = append(out, x)
		}
	}
	return out
}
""",
        r"""package main

import "testing"

func TestFibonacci(t *testing.T) {
	got := Take(Fibonacci(), 8)
	want := []int{0, 1, 1, 2, 3, 5, 8, 13}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Take(Fibonacci(), 8) = %v", got)
		}
	}
}

func TestEvenIndexed(t *testing.T) {
	if got := EvenIndexed([]string{"a", "b", "c"}); len(got) != 2 || got[1] != "c" {
		t.Fatalf("EvenIndexed = %v", got)
	}
}
""",
    ),
}

RUST = {
    "let-else, div_ceil, is_none_or": stdio_item(
        "rust",
        r"""use std::io::{self, Read};

fn parse_pair(line: &str) -> Option<(u64, u64)> {
    let mut it = line.split_whitespace();
    let (Some(a), Some(b)) = (it.next(), it.next()) else {
        return None;
    };
    Some((a.parse().ok()?, b.parse().ok()?))
}

fn main() {
    let mut input = String::new();
    io::stdin().read_to_string(&mut input).unwrap();
    for line in input.lines() {
        let Some((total, per_box)) = parse_pair(line) else {
            println!("skip");
            continue;
        };
        let boxes = total.div_ceil(per_box);
        let limit: Option<u64> = if boxes > 3 { Some(3) } else { None };
        let fits = limit.is_none_or(|l| boxes <= l);
        println!("{boxes} {fits}");
    }
}
""",
        [("10 3\n4 4\nbad\n", "4 false\n1 true\nskip")],
    ),
    "OnceLock and LazyLock tables": harness_item(
        "rust",
        r"""use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

static ROMAN: LazyLock<HashMap<char, u32>> = LazyLock::new(|| {
    HashMap::from([('I', 1), ('V', 5), ('X', 10), ('L', 50), ('C', 100), ('D', 500), ('M', 1000)])
});

fn primes_below_1000() -> &'static [u32] {
    static PRIMES: OnceLock<Vec<u32>> = OnceLock::new();
    PRIMES.get_or_init(|| (2..1000).filter(|n| (2..*n).take_while(|d| d * d <= *n).all(|d| n % d != 0)).collect())
}

fn roman_to_int(s: &str) -> u32 {
    let values: Vec<u32> = s.chars().map(|c| ROMAN[&c]).collect();
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| if values.get(i + 1).is_some_and(|&next| next > v) { -(v as i64) } else { v as i64 })
        .sum::<i64>() as u32
}
""",
        r"""#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roman() {
        assert_eq!(roman_to_int("MCMXCIV"), 1994);
        assert_eq!(roman_to_int("LVIII"), 58);
    }

    #[test]
    fn primes() {
        assert_eq!(primes_below_1000().len(), 168);
        assert_eq!(primes_below_1000().last(), Some(&997));
    }
}
""",
    ),
    "MultiPL-E style with newer std helpers": harness_item(
        "rust",
        r"""fn digits_sum(n: u64) -> u64 {
    let width = n.checked_ilog10().map_or(1, |d| d + 1);
    (0..width).map(|i| n / 10u64.pow(i) % 10).sum()
}

fn pairwise_gaps(xs: &[i32]) -> Vec<u32> {
    std::iter::zip(xs, xs.iter().skip(1)).map(|(a, b)| a.abs_diff(*b)).collect()
}

fn take_large(v: &mut Option<i32>) -> Option<i32> {
    v.take_if(|x| *x > 10)
}
""",
        r"""fn main() {
    assert_eq!(digits_sum(0), 0);
    assert_eq!(digits_sum(1234), 10);
    assert_eq!(pairwise_gaps(&[1, 4, -2]), vec![3, 6]);
    let mut big = Some(42);
    assert_eq!(take_large(&mut big), Some(42));
    assert_eq!(big, None);
    let mut small = Some(3);
    assert_eq!(take_large(&mut small), None);
    let blocks: Vec<String> = std::iter::repeat_n("ab", 2).map(str::to_uppercase).collect();
    assert_eq!(blocks, ["AB", "AB"]);
}
""",
    ),
}

MODERN: dict[str, dict[str, dict[str, Any]]] = {
    "python": PYTHON,
    "c": C,
    "cpp": CPP,
    "java": JAVA,
    "javascript": JAVASCRIPT,
    "typescript": TYPESCRIPT,
    "go": GO,
    "rust": RUST,
}

# --- a DFS a million calls deep: needs the stack judges give ---------------------------------

DEPTH = 1_000_000
DEEP_STDIN = f"{DEPTH}\n"
DEEP_STDOUT = f"{DEPTH} {DEPTH * (DEPTH + 1) // 2}"  # the path's length and the sum of depths

DEEP = {
    "c": r"""#include <stdio.h>
#include <stdlib.h>

static int *next_node;
static long long depth_sum;

static int dfs(int u, int depth) {
    depth_sum += depth;
    int longest = depth;
    if (next_node[u] >= 0) {
        int below = dfs(next_node[u], depth + 1);
        if (below > longest) longest = below;
    }
    return longest;
}

int main(void) {
    int n;
    scanf("%d", &n);
    next_node = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) next_node[i] = i + 1 < n ? i + 1 : -1;
    int longest = dfs(0, 1);
    printf("%d %lld\n", longest, depth_sum);
    free(next_node);
    return 0;
}
""",
    "cpp": r"""#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<vector<int>> adj(n);
    for (int i = 0; i + 1 < n; i++) adj[i].push_back(i + 1);
    long long depth_sum = 0;
    auto dfs = [&](this auto&& self, int u, int depth) -> int {
        depth_sum += depth;
        int longest = depth;
        for (int v : adj[u]) longest = max(longest, self(v, depth + 1));
        return longest;
    };
    int longest = dfs(0, 1);
    cout << longest << ' ' << depth_sum << '\n';
}
""",
    "java": r"""import java.io.*;
import java.util.*;

public class Main {
    static int[] next;
    static long depthSum;

    static int dfs(int u, int depth) {
        depthSum += depth;
        int longest = depth;
        if (next[u] >= 0) longest = Math.max(longest, dfs(next[u], depth + 1));
        return longest;
    }

    public static void main(String[] args) throws IOException {
        int n = Integer.parseInt(new BufferedReader(new InputStreamReader(System.in)).readLine().trim());
        next = new int[n];
        for (int i = 0; i < n; i++) next[i] = i + 1 < n ? i + 1 : -1;
        int longest = dfs(0, 1);
        System.out.println(longest + " " + depthSum);
    }
}
""",
    "go": r"""package main

import "fmt"

var next []int
var depthSum int64

func dfs(u, depth int) int {
	depthSum += int64(depth)
	longest := depth
	if next[u] >= 0 {
		longest = max(longest, dfs(next[u], depth+1))
	}
	return longest
}

func main() {
	var n int
	fmt.Scan(&n)
	next = make([]int, n)
	for i := range n {
		next[i] = -1
		if i+1 < n {
			next[i] = i + 1
		}
	}
	longest := dfs(0, 1)
	fmt.Println(longest, depthSum)
}
""",
    "rust": r"""use std::io::Read;

fn dfs(adj: &[Vec<usize>], u: usize, depth: u64, depth_sum: &mut u64) -> u64 {
    *depth_sum += depth;
    let mut longest = depth;
    for &v in &adj[u] {
        longest = longest.max(dfs(adj, v, depth + 1, depth_sum));
    }
    longest
}

fn main() {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).unwrap();
    let n: usize = s.trim().parse().unwrap();
    let mut adj = vec![Vec::new(); n];
    for i in 0..n.saturating_sub(1) {
        adj[i].push(i + 1);
    }
    let mut depth_sum = 0;
    let longest = dfs(&adj, 0, 1, &mut depth_sum);
    println!("{longest} {depth_sum}");
}
""",
}


def deep_items() -> dict[str, dict[str, Any]]:
    return {lang: stdio_item(lang, src, [(DEEP_STDIN, DEEP_STDOUT)]) for lang, src in DEEP.items()}
