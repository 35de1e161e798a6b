/* Starts one command as the sandbox uid, under its limits: the fast path of execute.py's run()
 * in the images that have a C compiler (cpp, rust), spawned with posix_spawn (vfork) instead of
 * a fork of the Python runner, which costs a millisecond more per test.
 *
 *   launch UID AS_BYTES CPU_S NPROC FSIZE_BYTES STACK_BYTES CWD KEEP -- COMMAND ARGS...
 *
 * STACK_BYTES is RLIMIT_STACK ("-": left as it is).
 *
 * fd 5 is the runner's failure pipe: anything that goes wrong before the exec is written there
 * (and the exit code is 127); a successful exec closes it. The command keeps fds 0..KEEP-1 (3,
 * or 5 for a harness's token and verdict pipes); every other descriptor is closed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static void fail(const char *what) {
    dprintf(5, "%s: %s", what, strerror(errno));
    _exit(127);
}

static void limit(int resource, const char *value, const char *what) {
    char *end;
    errno = 0;
    unsigned long long n = strtoull(value, &end, 10);
    if (errno || *end) fail(what);
    struct rlimit rl = {n, n};
    if (resource == RLIMIT_CPU) rl.rlim_max = n + 1;  /* SIGXCPU first, then SIGKILL */
    if (setrlimit(resource, &rl) != 0) fail(what);
}

int main(int argc, char **argv) {
    if (fcntl(5, F_SETFD, FD_CLOEXEC) != 0) _exit(126);
    if (argc < 11 || strcmp(argv[9], "--") != 0 || (strcmp(argv[8], "3") && strcmp(argv[8], "5"))) {
        errno = EINVAL;
        fail("usage");
    }
    if (strcmp(argv[8], "3") == 0) {
        close(3);
        close(4);
    }
    if (close_range(6, ~0U, 0) != 0) { /* a kernel without it: one at a time */
        for (int fd = 6; fd < 65536; fd++) close(fd);
    }
    char *end;
    errno = 0;
    long uid = strtol(argv[1], &end, 10);
    if (errno || *end || uid <= 0) fail("uid");
    limit(RLIMIT_AS, argv[2], "RLIMIT_AS");
    limit(RLIMIT_CPU, argv[3], "RLIMIT_CPU");
    limit(RLIMIT_NPROC, argv[4], "RLIMIT_NPROC");
    limit(RLIMIT_FSIZE, argv[5], "RLIMIT_FSIZE");
    if (strcmp(argv[6], "-") != 0) limit(RLIMIT_STACK, argv[6], "RLIMIT_STACK");
    limit(RLIMIT_CORE, "0", "RLIMIT_CORE");
    limit(RLIMIT_NOFILE, "256", "RLIMIT_NOFILE");
    int adj = open("/proc/self/oom_score_adj", O_WRONLY);  /* the OOM killer picks it first */
    if (adj >= 0) {
        (void)!write(adj, "1000", 4);
        close(adj);
    }
    if (setgroups(0, NULL) != 0) fail("setgroups");
    if (setresgid(uid, uid, uid) != 0) fail("setresgid");
    if (setresuid(uid, uid, uid) != 0) fail("setresuid");
    if (getuid() == 0 || geteuid() == 0) {
        errno = EPERM;
        fail("still root");
    }
    umask(022);
    /* "cwd: ": the program's own directory, which the program may have broken (execute.py) */
    if (mkdir(argv[7], 0755) != 0 && errno != EEXIST) fail("cwd: mkdir");
    if (chdir(argv[7]) != 0) fail("cwd: chdir");
    execve(argv[10], &argv[10], environ);
    fail(errno == EAGAIN ? "nproc: exec" : argv[10]);  /* over RLIMIT_NPROC: the program's doing */
    return 127;
}
