"""Correct programs written as older datasets and older habits wrote them (HumanEval-X's C++ with
`using namespace std;`, MultiPL-E's `#include<assert.h>` + `#include<bits/stdc++.h>` with `std::`
names, competitive C and C++, Rust before edition 2021), each with the `std` or `edition` it
needs: None when it runs under the service's defaults (C gnu23, C++ gnu++23, Rust 2021).

Each program prints `expected` on an empty stdin (a MultiPL-E-style program checks itself with
`assert` and prints nothing). `tests/sandbox/test_dialects.py` scores each under the default and
under the dialect it needs; `benchmarks/dialects_report.py` prints the table of every dialect.
`GCC14_REJECTS` are C that GCC 12 took with a warning and GCC 14 refuses whatever the dialect.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OldProgram:
    name: str
    language: str
    source: str
    needs: str | None  # the `std` or `edition` it needs; None: the default serves it
    expected: str = ""
    why: str = ""


HUMANEVAL_X_CPP = """#include<stdio.h>
#include<math.h>
#include<vector>
#include<string>
#include<algorithm>
using namespace std;
#include<stdlib.h>
vector<int> sort_third(vector<int> l){
    vector<int> third={};
    int i;
    for (i=0;i*3<l.size();i++)
        third.push_back(l[i*3]);
    sort(third.begin(),third.end());
    vector<int> out={};
    for (i=0;i<l.size();i++)
    {
        if (i%3==0) {out.push_back(third[i/3]);}
        else out.push_back(l[i]);
    }
    return out;
}
#undef NDEBUG
#include<assert.h>
bool issame(vector<int> a,vector<int>b){
    if (a.size()!=b.size()) return false;
    for (int i=0;i<a.size();i++)
        if (a[i]!=b[i]) return false;
    return true;
}
int main(){
    assert (issame(sort_third({1, 2, 3}) , sort_third({1, 2, 3})));
    assert (issame(sort_third({5, 6, 3, 4, 8, 9, 2}) , {2, 6, 3, 4, 8, 9, 5}));
    assert (issame(sort_third({5, 8, 3, 4, 6, 9, 2}) , {2, 8, 3, 4, 6, 9, 5}));
}
"""

MULTIPL_E_CPP = """#include<assert.h>
#include<bits/stdc++.h>
// Return the longest string, or None for an empty list.
std::optional<std::string> longest(std::vector<std::string> strings) {
    if (strings.empty()) return std::nullopt;
    std::string best = strings[0];
    for (auto s : strings) if (s.size() > best.size()) best = s;
    return best;
}
int main() {
    auto candidate = longest;
    assert(candidate((std::vector<std::string>())) == (std::optional<std::string>({})));
    assert(candidate((std::vector<std::string>({(std::string)"x", (std::string)"yyy"})))
           == (std::optional<std::string>("yyy")));
}
"""

MULTIPL_E_CPP_MAP = """#include<assert.h>
#include<bits/stdc++.h>
std::map<std::string, long> histogram(std::string test) {
    std::map<std::string, long> counts;
    std::stringstream ss(test);
    std::string word;
    long most = 0;
    while (ss >> word) most = std::max(most, ++counts[word]);
    std::map<std::string, long> result;
    for (auto &[letter, count] : counts) if (count == most) result[letter] = count;
    return result;
}
int main() {
    auto candidate = histogram;
    assert(candidate(("a b b a")) == (std::map<std::string, long>({{"a", 2}, {"b", 2}})));
    assert(candidate(("")) == (std::map<std::string, long>({})));
}
"""

RANGES_GLOBAL = """#include <bits/stdc++.h>
using namespace std;
// segments to merge: ranges[i] = {l, r}
vector<pair<int, int>> ranges;
int main() {
    ranges = {{1, 3}, {2, 5}, {7, 8}};
    sort(ranges.begin(), ranges.end());
    int total = 0, l = ranges[0].first, r = ranges[0].second;
    for (auto [a, b] : ranges) {
        if (a > r) { total += r - l; l = a; r = b; } else r = max(r, b);
    }
    total += r - l;
    cout << total << endl;
}
"""

U8_STRING = """#include <bits/stdc++.h>
using namespace std;
int main() {
    string greeting = u8"h\u00e9llo";
    cout << greeting.size() << endl;
}
"""

DEFAULTED_AGGREGATE = """#include <bits/stdc++.h>
using namespace std;
struct Edge {
    int u, v, w;
    Edge() = default;
};
int main() {
    vector<Edge> edges = {Edge{0, 1, 4}, Edge{1, 2, 3}};
    long long sum = 0;
    for (auto &e : edges) sum += e.w;
    cout << sum << endl;
}
"""

OWN_LERP = """#include <bits/stdc++.h>
using namespace std;
double lerp(double a, double b, double t) { return a + (b - a) * t; }
int main() { printf("%.1f\\n", lerp(2.0, 4.0, 0.5)); }
"""

THROW_SPEC = """#include <iostream>
#include <stdexcept>
int parse_digit(char c) throw(std::invalid_argument) {
    if (c < '0' || c > '9') throw std::invalid_argument("not a digit");
    return c - '0';
}
int main() { std::cout << parse_digit('7') << std::endl; }
"""

BOOL_INCREMENT = """#include <bits/stdc++.h>
using namespace std;
int main() {
    bool seen = false;
    for (int x : {3, 1, 4}) if (x == 4) seen++;
    cout << seen << endl;
}
"""

COMPETITIVE_CPP = """#include <bits/stdc++.h>
using namespace std;
#define ll long long
#define pb push_back
#define all(x) (x).begin(), (x).end()
typedef vector<int> vi;
const int MOD = 1e9 + 7;
int main() {
    ios_base::sync_with_stdio(false); cin.tie(NULL);
    vi v; for (int i = 5; i >= 1; i--) v.pb(i);
    sort(all(v));
    ll acc = 1; for (int x : v) acc = acc * x % MOD;
    cout << acc << "\\n";
    return 0;
}
"""

C_TYPEDEF_BOOL = """#include <stdio.h>
typedef int bool;
#define true 1
#define false 0
bool is_even(int n) { return n % 2 == 0 ? true : false; }
int main(void) { printf("%d\\n", is_even(4) + is_even(3)); return 0; }
"""

C_ENUM_BOOL = """#include <stdio.h>
typedef enum { false, true } bool;
int main(void) { bool found = true; printf("%d\\n", found); return 0; }
"""

C_EMPTY_PARAMETERS = """#include <stdio.h>
int gcd();
int main() { printf("%d\\n", gcd(12, 18)); return 0; }
int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }
"""

C_GETS = """#include <stdio.h>
#include <string.h>
int main(void) {
    char line[100] = "";
    if (!gets(line)) line[0] = 0;
    printf("%d\\n", (int)strlen(line));
    return 0;
}
"""

C_CLASSIC = """#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
int main(void) {
    int v[] = {4, 1, 3};
    qsort(v, 3, sizeof v[0], cmp);
    char s[16];
    sprintf(s, "%d%d%d", v[0], v[1], v[2]);
    printf("%s %d\\n", s, (int)strlen(s));
    return 0;
}
"""

RUST_BARE_TRAIT_OBJECT = """fn apply(f: &Fn(i32) -> i32, x: i32) -> i32 {
    f(x)
}

fn main() {
    let ops: Vec<Box<Fn(i32) -> i32>> = vec![Box::new(|x| x + 1), Box::new(|x| x * 2)];
    println!("{}", ops.iter().map(|op| apply(op.as_ref(), 10)).sum::<i32>());
}
"""

RUST_ARRAY_INTO_ITER = """fn main() {
    let refs: Vec<&i32> = [3, 1, 2].into_iter().collect();
    println!("{}", refs.len());
}
"""

RUST_ASYNC_IDENTIFIER = """fn main() {
    let async = 2;
    let dyn = 3;
    println!("{}", async * dyn);
}
"""

RUST_2024_CAPTURES = """fn evens(v: &[i32]) -> impl Iterator<Item = i32> {
    v.iter().copied().filter(|x| x % 2 == 0)
}

fn main() {
    let v = vec![1, 2, 3, 4];
    println!("{}", evens(&v).sum::<i32>());
}
"""

RUST_MULTIPL_E = """fn factorize(n: isize) -> Vec<isize> {
    let mut factors = Vec::new();
    let (mut n, mut i) = (n, 2);
    while i * i <= n {
        while n % i == 0 {
            factors.push(i);
            n /= i;
        }
        i += 1;
    }
    if n > 1 {
        factors.push(n);
    }
    factors
}

fn main() {
    let candidate = factorize;
    assert_eq!(candidate(57), vec![3, 19]);
    assert_eq!(candidate(185193), vec![3, 3, 3, 19, 19, 19]);
}
"""

RUST_GEN_VARIABLE = """fn main() {
    let mut gen: u64 = 7;
    for _ in 0..3 {
        gen = gen * 31 % 1000;
    }
    println!("{}", gen);
}
"""

OLD_PROGRAMS = [
    OldProgram("HumanEval-X C++ canonical", "cpp", HUMANEVAL_X_CPP, None),
    OldProgram("MultiPL-E C++ (std::optional)", "cpp", MULTIPL_E_CPP, None),
    OldProgram("MultiPL-E C++ (std::map, bindings)", "cpp", MULTIPL_E_CPP_MAP, None),
    OldProgram("competitive C++ with macros", "cpp", COMPETITIVE_CPP, None, "120"),
    OldProgram(
        "a global named ranges",
        "cpp",
        RANGES_GLOBAL,
        "gnu++17",
        "5",
        "std::ranges (C++20) makes it ambiguous",
    ),
    OldProgram(
        "u8 literal into std::string",
        "cpp",
        U8_STRING,
        "c++17",
        "6",
        "u8 literals are char8_t from C++20",
    ),
    OldProgram(
        "aggregate with a defaulted constructor",
        "cpp",
        DEFAULTED_AGGREGATE,
        "gnu++17",
        "7",
        "no longer an aggregate in C++20",
    ),
    OldProgram(
        "its own lerp", "cpp", OWN_LERP, "gnu++17", "3.0", "ambiguous with std::lerp (C++20)"
    ),
    OldProgram(
        "a dynamic exception specification",
        "cpp",
        THROW_SPEC,
        "c++14",
        "7",
        "removed in C++17",
    ),
    OldProgram("bool++", "cpp", BOOL_INCREMENT, "gnu++14", "1", "removed in C++17"),
    OldProgram("classic C", "c", C_CLASSIC, None, "134 3"),
    OldProgram("typedef int bool", "c", C_TYPEDEF_BOOL, "c17", "1", "bool is a keyword in C23"),
    OldProgram(
        "typedef enum { false, true } bool",
        "c",
        C_ENUM_BOOL,
        "gnu17",
        "1",
        "false and true are keywords in C23",
    ),
    OldProgram(
        "int gcd(); called with arguments",
        "c",
        C_EMPTY_PARAMETERS,
        "gnu17",
        "6",
        "() means (void) in C23",
    ),
    OldProgram("gets", "c", C_GETS, "gnu99", "0", "gets is gone from C11's <stdio.h>"),
    OldProgram("MultiPL-E Rust", "rust", RUST_MULTIPL_E, None),
    OldProgram(
        "a variable named gen", "rust", RUST_GEN_VARIABLE, None, "537", "gen is reserved in 2024"
    ),
    OldProgram(
        "trait objects without dyn",
        "rust",
        RUST_BARE_TRAIT_OBJECT,
        "2018",
        "31",
        "an error from edition 2021",
    ),
    OldProgram(
        "array.into_iter() by reference",
        "rust",
        RUST_ARRAY_INTO_ITER,
        "2018",
        "3",
        "arrays iterate by value from 2021",
    ),
    OldProgram(
        "async and dyn as names",
        "rust",
        RUST_ASYNC_IDENTIFIER,
        "2015",
        "6",
        "keywords from edition 2018",
    ),
    OldProgram(
        "impl Trait capturing an elided lifetime",
        "rust",
        RUST_2024_CAPTURES,
        "2024",
        "6",
        "captured implicitly from edition 2024",
    ),
]

C_IMPLICIT_DECLARATION = """#include <stdio.h>
int main(void) {
    char word[] = "hello";
    printf("%d\\n", (int)strlen(word));
    return 0;
}
"""

C_IMPLICIT_INT = """#include <stdio.h>
static count = 3;
main() {
    printf("%d\\n", count);
    return 0;
}
"""

C_INCOMPATIBLE_COMPARATOR = """#include <stdio.h>
#include <stdlib.h>
int cmp(int *a, int *b) { return *a - *b; }
int main(void) {
    int v[] = {3, 1, 2};
    qsort(v, 3, sizeof(int), cmp);
    printf("%d %d %d\\n", v[0], v[1], v[2]);
    return 0;
}
"""

# Accepted with a warning by GCC 12 (the images before Debian trixie), errors in GCC 14 in every
# dialect /code offers (GCC's C89 modes still warn, and -fpermissive would; neither is offered):
# no `std` brings these back.
GCC14_REJECTS = [
    OldProgram("strlen without <string.h>", "c", C_IMPLICIT_DECLARATION, None, "5"),
    OldProgram("implicit int", "c", C_IMPLICIT_INT, None, "3"),
    OldProgram("qsort with an int * comparator", "c", C_INCOMPATIBLE_COMPARATOR, None, "1 2 3"),
]
