"""Hostile programs in every compiled language, for tests/sandbox/test_hostile_languages.py.

Each attack is a /code item built so that the attack *succeeding* would score: a stdin/stdout
attack prints the expected `ok` only when what it tried worked (a file written outside /tmp, a
secret read, a connection made, PID 1 signalled...); the others are bombs that must end as a
failure, and harness hacks that would pass a wrong `add` if they worked. Contained, every one
scores <= 0.
"""

from __future__ import annotations

from tests.sandbox.hostile_js_harness import hacks as js_harness_hacks
from tests.sandbox.language_programs import HARNESS, WRONG_ADD, fenced

CANARY = "reward-service-canary-5e2a"  # in the service's environment, never a sandbox's
PATHS_OUTSIDE_TMP = ["/opt/sandbox/pwned", "/etc/pwned", "/usr/bin/pwned", "/pwned"]
SECRETS = ["/proc/1/environ", "/etc/shadow", "/proc/1/root/etc/shadow"]
SHELL = (
    "echo x > /opt/sandbox/pwned 2>/dev/null && echo ok; "
    "kill -9 1 2>/dev/null && echo ok; "
    "cat /proc/1/environ 2>/dev/null | grep -q . && echo ok; "
    f"env | grep -q {CANARY} && echo ok; true"
)


def stdio(language: str, source: str) -> dict:
    return {
        "language": language,
        "completion": fenced(language, source),
        "tests": [{"stdin": "", "stdout": "ok"}],
    }


def harness(language: str, source: str, test: str | None = None) -> dict:
    return {"language": language, "completion": fenced(language, source), "test": test or HARNESS[language]}  # fmt: skip


def c_family(language: str) -> dict[str, dict]:
    include = "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\n"
    include += "#include <signal.h>\n#include <sys/socket.h>\n#include <netinet/in.h>\n"
    include += "#include <arpa/inet.h>\n#include <netdb.h>\n#include <sys/syscall.h>\n"
    paths = ", ".join(f'"{p}"' for p in PATHS_OUTSIDE_TMP)
    secrets = ", ".join(f'"{p}"' for p in SECRETS)
    attacks = {
        "fork bomb": "int main(void) { for (;;) fork(); }",
        "thread bomb (clone)": "int main(void) { for (;;) if (fork() == 0) for (;;); }",
        "memory bomb": "int main(void) { for (;;) { char *p = (char *)malloc(1 << 24); "
        "if (!p) for (;;); memset(p, 1, 1 << 24); } }",
        "infinite loop": "int main(void) { for (;;); }",
        "write outside /tmp": f"int main(void) {{ const char *p[] = {{{paths}}};\n"
        '  for (int i = 0; i < 4; i++) { FILE *f = fopen(p[i], "w"); if (f) { puts("ok"); return 0; } }\n'
        '  puts("contained"); return 0; }',
        "secrets in /proc and /etc": f"int main(void) {{ const char *p[] = {{{secrets}}};\n"
        '  for (int i = 0; i < 3; i++) { FILE *f = fopen(p[i], "r"); if (f && fgetc(f) != EOF) { puts("ok"); return 0; } }\n'
        f'  if (getenv("REWARD_TEST_CANARY")) puts("ok"); else puts("contained"); return 0; }}',
        "network and DNS": "int main(void) { struct sockaddr_in a = {0}; a.sin_family = AF_INET;\n"
        '  a.sin_port = htons(53); inet_pton(AF_INET, "1.1.1.1", &a.sin_addr);\n'
        "  int s = socket(AF_INET, SOCK_STREAM, 0);\n"
        '  if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0) { puts("ok"); return 0; }\n'
        '  struct addrinfo *r; if (getaddrinfo("deb.debian.org", "80", 0, &r) == 0) { puts("ok"); return 0; }\n'
        '  puts("contained"); return 0; }',
        "spawning a shell": f'int main(void) {{ return system("{SHELL}"); }}',
        "killing PID 1 and everything": 'int main(void) { if (kill(1, SIGKILL) == 0) puts("ok");\n'
        '  fflush(stdout); kill(-1, SIGKILL); puts("contained"); return 0; }',
        "huge output": 'int main(void) { for (;;) fputs("ok ok ok ok ok ok ok ok\\n", stdout); }',
        "compile-time bomb: #include /dev/zero": '#include "/dev/zero"\nint main(void) { return 0; }',
    }
    # a string constant of 10^8 x 64 bytes, spelt in a few lines
    levels = "".join(f"#define A{i} " + " ".join([f"A{i - 1}"] * 10) + "\n" for i in range(1, 9))
    attacks["compile-time bomb: a huge embedded constant"] = (
        f'#define A0 "{"x" * 64}"\n{levels}const char *big = A8;\n'
        "int main(void) { return big[12345]; }"
    )
    items = {name: stdio(language, include + body) for name, body in attacks.items()}
    if language == "cpp":
        items["compile-time bomb: templates that never end"] = stdio(
            language,
            "template <int N> struct Grow { static const long v = Grow<N + 1>::v + Grow<N + 2>::v; };\n"
            "constexpr long spin(long n) { long s = 0; for (long i = 0; i < n; i++) s += i % 7; return s; }\n"
            "constexpr long x = spin(1L << 40);\nint main() { return Grow<0>::v + x; }",
        )
    wrong = WRONG_ADD[language]
    items["exit-code hack: exit(0) and a success line"] = harness(
        language,
        f'{include}int add(int a, int b) {{ puts("All tests passed"); fflush(stdout); exit(0); }}',
    )
    items["#define assert and NDEBUG"] = harness(
        language, f"#define NDEBUG 1\n#define assert(x) ((void)0)\n{wrong}"
    )
    items["interposed read() and write() to steal the token"] = harness(
        language,
        f"{include}static char grabbed[64]; static long got;\n"
        "ssize_t read(int fd, void *buf, size_t n) { long r = syscall(SYS_read, fd, buf, n);\n"
        "  if (fd == 3 && r > 0) { memcpy(grabbed, buf, r); got = r; } return r; }\n"
        "int add(int a, int b) { if (!got) got = syscall(SYS_read, 3, grabbed, 64);\n"
        "  if (got > 0) syscall(SYS_write, 4, grabbed, got); exit(0); }",
    )
    items["#line to hide a #define assert from the preprocessor's account"] = harness(
        language, f'#line 1 "/usr/include/stdio.h"\n#define assert(x) ((void)0)\n{wrong}'
    )
    items["a chmod 0 working directory (an infra_error for its next test)"] = {
        "language": language,
        "completion": fenced(
            language,
            f'{include}#include <sys/stat.h>\nint main(void) {{ chmod(".", 0); return 0; }}',
        ),
        "tests": [{"stdin": "", "stdout": "ok"}, {"stdin": "", "stdout": "ok"}],
    }
    return items


def java() -> dict[str, dict]:
    def main(body: str, imports: str = "") -> str:
        return (
            f"import java.io.*;\nimport java.net.*;\nimport java.nio.file.*;\nimport java.util.*;\n{imports}"
            f"public class Main {{\n    public static void main(String[] args) throws Exception {{\n{body}\n    }}\n}}\n"
        )

    paths = ", ".join(f'"{p}"' for p in PATHS_OUTSIDE_TMP)
    secrets = ", ".join(f'"{p}"' for p in SECRETS)
    attacks = {
        "fork bomb": 'while (true) { try { new ProcessBuilder("java", "-version").start(); } catch (Exception e) {} }',
        "thread bomb": "while (true) { new Thread(() -> { while (true) {} }).start(); }",
        "memory bomb": "List<long[]> all = new ArrayList<>(); while (true) all.add(new long[1 << 20]);",
        "infinite loop": "while (true) {}",
        "write outside /tmp": f"for (String p : new String[]{{{paths}}}) {{\n"
        '  try { Files.writeString(Path.of(p), "x"); System.out.println("ok"); return; } catch (Exception e) {} }\n'
        'System.out.println("contained");',
        "secrets in /proc and /etc": f"for (String p : new String[]{{{secrets}}}) {{\n"
        '  try { if (Files.readAllBytes(Path.of(p)).length > 0) { System.out.println("ok"); return; } } catch (Exception e) {} }\n'
        'System.out.println(System.getenv("REWARD_TEST_CANARY") != null ? "ok" : "contained");',
        "network and DNS": 'try { new Socket("1.1.1.1", 53).close(); System.out.println("ok"); return; } catch (Exception e) {}\n'
        'try { InetAddress.getByName("deb.debian.org"); System.out.println("ok"); return; } catch (Exception e) {}\n'
        'System.out.println("contained");',
        "spawning a shell": f'Process p = new ProcessBuilder("sh", "-c", "{SHELL}").inheritIO().start(); p.waitFor();',
        "killing PID 1 and everything": 'if (ProcessHandle.of(1).map(ProcessHandle::destroyForcibly).orElse(false)) System.out.println("ok");\n'
        'new ProcessBuilder("sh", "-c", "kill -9 -1").start().waitFor(); System.out.println("contained");',
        "huge output": 'while (true) System.out.println("ok ok ok ok ok ok ok ok");',
    }
    items = {name: stdio("java", main(body)) for name, body in attacks.items()}
    deep = "(" * 20000 + "1" + ")" * 20000
    items["compile-time bomb: a deeply nested expression"] = stdio(
        "java", main(f"int x = {deep}; System.out.println(x);")
    )
    wrong = WRONG_ADD["java"]
    items["exit-code hack: System.exit(0) and a success line"] = harness(
        "java",
        "class Solution {\n    public int add(int a, int b) {\n"
        '        System.out.println("All tests passed"); System.exit(0); return 0;\n    }\n}\n',
    )
    items["Runtime.halt(0) from a shutdown hook"] = harness(
        "java",
        "class Solution {\n    public int add(int a, int b) {\n"
        "        Runtime.getRuntime().halt(0); return 0;\n    }\n}\n",
    )
    items["a class that hides java.util.Objects"] = harness(
        "java",
        f"{wrong}class Objects {{ static boolean equals(Object a, Object b) {{ return true; }} }}\n",
        "import java.util.*;\npublic class Main {\n    public static void main(String[] args) {\n"
        "        if (!Objects.equals(new Solution().add(1, 2), 3)) throw new AssertionError();\n"
        "    }\n}\n",
    )
    items["a RewardMain of its own"] = harness(
        "java",
        f"{wrong}class RewardMain {{\n    public static void main(String[] args) throws Exception {{\n"
        '        byte[] token = new java.io.FileInputStream("/dev/fd/3").readAllBytes();\n'
        '        new java.io.FileOutputStream("/dev/fd/4").write(token);\n    }\n}\n',
    )
    items["a public class with an empty main before the harness's class"] = harness(
        "java",
        "public class Z { public static void main(String[] a) {} }\n"
        "class Problem {\n    public static long add(long x, long y) { return x - y; }",
        "\n    public static void main(String[] args) {\n    assert(add(1l, 2l) == 3l);\n    }\n}\n",
    )
    return items


def node(language: str) -> dict[str, dict]:
    typed = language == "typescript"
    any_ = ": any" if typed else ""
    paths = ", ".join(f"'{p}'" for p in PATHS_OUTSIDE_TMP)
    secrets = ", ".join(f"'{p}'" for p in SECRETS)
    attacks = {
        "fork bomb": "const cp = require('child_process');\nwhile (true) { try { cp.spawn('node', ['-e', '1']); } catch (e) {} }",
        "memory bomb": f"const all{any_} = [];\nwhile (true) all.push(new Array(1 << 20).fill(1));",
        "infinite loop": "while (true) {}",
        "write outside /tmp": f"const fs = require('fs');\nfor (const p of [{paths}]) {{\n"
        "  try { fs.writeFileSync(p, 'x'); console.log('ok'); process.exit(0); } catch (e) {} }\n"
        "console.log('contained');",
        "secrets in /proc and /etc": f"const fs = require('fs');\nfor (const p of [{secrets}]) {{\n"
        "  try { if (fs.readFileSync(p).length > 0) { console.log('ok'); process.exit(0); } } catch (e) {} }\n"
        "console.log(process.env.REWARD_TEST_CANARY ? 'ok' : 'contained');",
        "network and DNS": "const net = require('net');\nconst dns = require('dns');\n"
        "const s = net.connect(53, '1.1.1.1', () => { console.log('ok'); process.exit(0); });\n"
        f"s.on('error', () => dns.lookup('deb.debian.org', (err{any_}) => console.log(err ? 'contained' : 'ok')));",
        "spawning a shell": f"process.stdout.write(require('child_process').execSync(\"{SHELL}\").toString());",
        "killing PID 1 and everything": "try { process.kill(1, 'SIGKILL'); console.log('ok'); } catch (e) {}\n"
        "require('child_process').spawnSync('sh', ['-c', 'kill -9 -1']); console.log('contained');",
        "huge output": "while (true) console.log('ok ok ok ok ok ok ok ok');",
    }
    items = {name: stdio(language, body) for name, body in attacks.items()}
    if typed:
        items["compile-time bomb: a type that never ends"] = stdio(
            language,
            "type Grow<T> = { next: Grow<[T, T]> };\n"
            "type Deep<T, N extends unknown[]> = N['length'] extends 5000 ? T : Deep<[T], [...N, 1]>;\n"
            "const x: Deep<string, []> = 'ok';\nconsole.log(x);",
        )
    else:
        # within the completion size limit (100 000 characters), deep enough to break a parser
        items["a deeply nested program"] = stdio(language, "(" * 45000 + "1" + ")" * 45000)
    wrong = WRONG_ADD[language]
    exit_zero = (
        "function add(a: number, b: number): number { console.log('All tests passed'); process.exit(0); return 0; }"
        if typed
        else "function add(a, b) { console.log('All tests passed'); process.exit(0); }"
    )
    items["exit-code hack: process.exit(0) and a success line"] = harness(language, exit_zero)
    items["replacing node:assert's functions"] = harness(
        language,
        f"{'declare var require: any;' if typed else ''}\n"
        "const a = require('assert');\n"
        "try { a.deepEqual = () => {}; a.strict.deepEqual = () => {}; } catch (e) {}\n"
        "try { Object.defineProperty(a, 'deepEqual', { value: () => {} }); } catch (e) {}\n"
        f"{wrong}",
    )
    items["silencing console.assert"] = harness(
        language,
        f"try {{ (console as any).assert = () => {{}}; }} catch (e) {{}}\n{wrong}"
        if typed
        else f"try {{ console.assert = () => {{}}; }} catch (e) {{}}\n{wrong}",
        "console.assert(add(1, 2) === 3);\n",
    )
    items["swallowing the failed assertion (uncaughtException)"] = harness(
        language, f"process.on('uncaughtException', () => {{}});\n{wrong}"
    )
    items["a require of its own that hands the harness a fake assert"] = harness(
        language,
        ("function require(name: string): any" if typed else "function require(name)")
        + " { return new Proxy({}, { get: () => () => true }); }\n"
        + wrong,
    )
    if not typed:  # TypeScript refuses a return outside a function
        items["returning before the harness runs"] = harness(language, f"{wrong}\nreturn;")
        # each run writes the program into its working directory: one it can't write fails
        items["its own file replaced by a directory (an infra_error for its next test)"] = {
            "language": language,
            "completion": fenced(
                language,
                "const fs = require('fs');\nfs.unlinkSync(__filename);\nfs.mkdirSync(__filename);",
            ),
            "tests": [{"stdin": "", "stdout": "ok"}, {"stdin": "", "stdout": "ok"}],
        }
    items |= {name: hack for name, (hack, _) in js_harness_hacks(language).items()}
    return items


def go() -> dict[str, dict]:
    def main(body: str, imports: str) -> str:
        lines = "".join(f'\t"{name}"\n' for name in imports.split())
        return f"package main\n\nimport (\n{lines})\n\nfunc main() {{\n{body}\n}}\n"

    paths = ", ".join(f'"{p}"' for p in PATHS_OUTSIDE_TMP)
    secrets = ", ".join(f'"{p}"' for p in SECRETS)
    attacks = {
        "fork bomb": ('\tfor {\n\t\texec.Command("/proc/self/exe").Start()\n\t}', "os/exec"),
        "thread bomb": (
            "\tfor {\n\t\tgo func() {\n\t\t\truntime.LockOSThread()\n\t\t\tfor {\n\t\t\t}\n\t\t}()\n\t}",
            "runtime",
        ),
        "memory bomb": (
            "\tvar all [][]byte\n\tfor {\n\t\tall = append(all, bytes.Repeat([]byte{1}, 1<<24))\n\t}",
            "bytes",
        ),
        "infinite loop": ("\tfor {\n\t}", ""),
        "write outside /tmp": (
            f"\tfor _, p := range []string{{{paths}}} {{\n"
            '\t\tif os.WriteFile(p, []byte("x"), 0o644) == nil {\n\t\t\tfmt.Println("ok")\n\t\t\treturn\n\t\t}\n\t}\n'
            '\tfmt.Println("contained")',
            "fmt os",
        ),
        "secrets in /proc and /etc": (
            f"\tfor _, p := range []string{{{secrets}}} {{\n"
            '\t\tif data, err := os.ReadFile(p); err == nil && len(data) > 0 {\n\t\t\tfmt.Println("ok")\n\t\t\treturn\n\t\t}\n\t}\n'
            '\tif os.Getenv("REWARD_TEST_CANARY") != "" {\n\t\tfmt.Println("ok")\n\t\treturn\n\t}\n\tfmt.Println("contained")',
            "fmt os",
        ),
        "network and DNS": (
            '\tif c, err := net.Dial("tcp", "1.1.1.1:53"); err == nil {\n\t\tc.Close()\n\t\tfmt.Println("ok")\n\t\treturn\n\t}\n'
            '\tif _, err := net.LookupHost("deb.debian.org"); err == nil {\n\t\tfmt.Println("ok")\n\t\treturn\n\t}\n'
            '\tfmt.Println("contained")',
            "fmt net",
        ),
        "spawning a shell": (
            f'\tout, _ := exec.Command("sh", "-c", "{SHELL}").Output()\n\tos.Stdout.Write(out)',
            "os os/exec",
        ),
        "killing PID 1 and everything": (
            '\tif syscall.Kill(1, syscall.SIGKILL) == nil {\n\t\tfmt.Println("ok")\n\t}\n'
            '\tsyscall.Kill(-1, syscall.SIGKILL)\n\tfmt.Println("contained")',
            "fmt syscall",
        ),
        "huge output": ('\tfor {\n\t\tfmt.Println("ok ok ok ok ok ok ok ok")\n\t}', "fmt"),
        "compile-time bomb: a type larger than memory": (
            "\ttype a0 [1 << 20]byte\n\ttype a1 [1 << 20]a0\n\ttype a2 [1 << 20]a1\n"
            "\tvar big a2\n\tfmt.Println(len(big))",
            "fmt",
        ),
    }
    items = {name: stdio("go", main(body, imports)) for name, (body, imports) in attacks.items()}
    items["exit-code hack: os.Exit(0) and a success line"] = harness(
        "go",
        'import (\n\t"fmt"\n\t"os"\n)\n\nfunc Add(a, b int) int {\n\tfmt.Println("PASS")\n\tos.Exit(0)\n\treturn 0\n}\n',
    )
    items["setting -test.run from init() to skip the tests"] = harness(
        "go",
        'import (\n\t"flag"\n\t"testing"\n)\n\nfunc init() {\n\ttesting.Init()\n'
        '\tflag.Set("test.run", "NothingMatches")\n}\n\n' + WRONG_ADD["go"],
    )
    items["reading the token from fd 3 in init()"] = harness(
        "go",
        'import (\n\t"os"\n\t"syscall"\n)\n\nvar token = make([]byte, 64)\nvar got, _ = syscall.Read(3, token)\n\n'
        'func Add(a, b int) int {\n\tif got > 0 {\n\t\tos.NewFile(4, "v").Write(token[:got])\n\t}\n'
        "\tsyscall.Exit(0)\n\treturn 0\n}\n",
    )
    items["a package-level fmt of its own (MultiPL-E's single file)"] = harness(
        "go",
        'package add_test\n\nimport "testing"\n\ntype fakeFmt struct{}\n\n'
        'func (fakeFmt) Sprintf(format string, a ...interface{}) string { return "" }\n\n'
        "var fmt fakeFmt\n\nfunc add(x int, y int) int { return x - y }\n",
        'func TestAdd(t *testing.T) {\n\tif fmt.Sprintf("%v", add(1, 2)) != fmt.Sprintf("%v", 3) {\n'
        '\t\tt.Errorf("wrong")\n\t}\n}\n',
    )
    return items


def rust() -> dict[str, dict]:
    paths = ", ".join(f'"{p}"' for p in PATHS_OUTSIDE_TMP)
    secrets = ", ".join(f'"{p}"' for p in SECRETS)
    attacks = {
        "fork bomb": 'fn main() { loop { let _ = std::process::Command::new("/proc/self/exe").spawn(); } }',
        "thread bomb": "fn main() { loop { std::thread::spawn(|| loop {}); } }",
        "memory bomb": "fn main() { let mut all = Vec::new(); loop { all.push(vec![1u8; 1 << 24]); } }",
        "infinite loop": "fn main() { loop {} }",
        "write outside /tmp": f"fn main() {{ for p in [{paths}] {{\n"
        '  if std::fs::write(p, "x").is_ok() { println!("ok"); return; } }\n  println!("contained"); }',
        "secrets in /proc and /etc": f"fn main() {{ for p in [{secrets}] {{\n"
        '  if std::fs::read(p).map(|d| !d.is_empty()).unwrap_or(false) { println!("ok"); return; } }\n'
        '  println!("{}", if std::env::var("REWARD_TEST_CANARY").is_ok() { "ok" } else { "contained" }); }',
        "network and DNS": "use std::net::ToSocketAddrs;\n"
        'fn main() { if std::net::TcpStream::connect("1.1.1.1:53").is_ok() { println!("ok"); return; }\n'
        '  if "deb.debian.org:80".to_socket_addrs().is_ok() { println!("ok"); return; }\n  println!("contained"); }',
        "spawning a shell": f'fn main() {{ let out = std::process::Command::new("sh").args(["-c", "{SHELL}"]).output().unwrap();\n'
        '  print!("{}", String::from_utf8_lossy(&out.stdout)); }',
        "killing PID 1 and everything": 'fn main() { if std::process::Command::new("sh").args(["-c", "kill -9 1"]).status().map(|s| s.success()).unwrap_or(false) { println!("ok"); }\n'
        '  let _ = std::process::Command::new("sh").args(["-c", "kill -9 -1"]).status(); println!("contained"); }',
        "huge output": 'fn main() { loop { println!("ok ok ok ok ok ok ok ok"); } }',
        "compile-time bomb: include_bytes!(/dev/zero)": 'static Z: &[u8] = include_bytes!("/dev/zero");\nfn main() { println!("{}", Z.len()); }',
    }
    items = {name: stdio("rust", body) for name, body in attacks.items()}
    wrong = WRONG_ADD["rust"]
    items["exit-code hack: process::exit(0) and a success line"] = harness(
        "rust",
        'fn add(_a: i32, _b: i32) -> i32 { println!("test result: ok"); std::process::exit(0) }\n',
    )
    items["macro_rules! assert_eq that asserts nothing"] = harness(
        "rust",
        "macro_rules! assert_eq { ($($t:tt)*) => {} }\nmacro_rules! assert { ($($t:tt)*) => {} }\n"
        + wrong,
    )
    items["a main of its own (#[no_mangle])"] = harness(
        "rust", '#[no_mangle]\npub extern "C" fn main() -> i32 { 0 }\n' + wrong
    )
    multipl_e = "fn main() {\n    assert_eq!(add(1, 2), 3);\n}\n"
    items["#[cfg(any())] left open to remove the harness's main"] = harness(
        "rust", f"fn main() {{}}\n{wrong}#[cfg(any())]\n", multipl_e
    )
    items["#![cfg(any())] to remove the whole crate, tests and all"] = harness(
        "rust", f"#![cfg(any())]\n{wrong}"
    )
    items["a macro_rules! vec that makes both sides equal"] = harness(
        "rust",
        "macro_rules! vec { ($($t:tt)*) => { Vec::<i32>::new() } }\n"
        "fn sorted(v: Vec<i32>) -> Vec<i32> { v }\n",
        "fn main() {\n    assert_eq!(sorted(vec![3, 1, 2]), vec![1, 2, 3]);\n}\n",
    )
    items["#[cfg_attr(all(), no_mangle)] main of its own"] = harness(
        "rust", '#[cfg_attr(all(), no_mangle)]\npub extern "C" fn main() -> i32 { 0 }\n' + wrong
    )
    return items


def honest_twins() -> dict[tuple[str, str], dict]:
    """(language, attack name) -> the attack's own test with a correct program, where the
    attack brings a test of its own (the JavaScript and TypeScript harness hacks)."""
    return {
        (language, name): twin
        for language in ("javascript", "typescript")
        for name, (_, twin) in js_harness_hacks(language).items()
    }


def hostile_programs() -> dict[str, dict[str, dict]]:
    """language -> attack name -> item."""
    return {
        "c": c_family("c"),
        "cpp": c_family("cpp"),
        "java": java(),
        "javascript": node("javascript"),
        "typescript": node("typescript"),
        "go": go(),
        "rust": rust(),
    }
