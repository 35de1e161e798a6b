/* The verdict of a C, C++ or Rust test harness (linked with -Wl,--wrap=main).
 *
 * The harness passes only if its `main` returned 0: then, and only then, this wrapper writes the
 * test's token to fd 4. The runner hands the token over on fd 3, which this object reads and
 * closes from .preinit_array, before any constructor of the program runs (it is linked first, so
 * its entry comes before any .preinit_array entry of the program's). So `exit(0)` from the code
 * under test, a printed success line or a killed harness never passes. The system calls are made
 * directly: a program that defines its own `read` or `write` does not see the token.
 */
#include <stddef.h>

#if defined(__x86_64__)
static long raw_syscall3(long number, long a, long b, long c) {
    long result;
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "a"(number), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return result;
}
#define SYS_READ 0
#define SYS_WRITE 1
#define SYS_CLOSE 3
#elif defined(__aarch64__)
static long raw_syscall3(long number, long a, long b, long c) {
    register long x8 __asm__("x8") = number;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}
#define SYS_READ 63
#define SYS_WRITE 64
#define SYS_CLOSE 57
#else
#error "wrap_main.c supports x86_64 and aarch64"
#endif

extern int __real_main(int, char **, char **);

static char reward_token[64];
static long reward_token_length;

static void reward_take_token(void) {
    long got = raw_syscall3(SYS_READ, 3, (long)reward_token, (long)sizeof reward_token);
    reward_token_length = got > 0 ? got : 0;
    raw_syscall3(SYS_CLOSE, 3, 0, 0);
}

__attribute__((section(".preinit_array"), used)) static void (*const reward_take_token_early)(
    void) = reward_take_token;

int __wrap_main(int argc, char **argv, char **envp) {
    int code = __real_main(argc, argv, envp);
    if (code == 0 && reward_token_length > 0) {
        raw_syscall3(SYS_WRITE, 4, (long)reward_token, reward_token_length);
    }
    raw_syscall3(SYS_CLOSE, 4, 0, 0);
    return code;
}
