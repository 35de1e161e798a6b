/* Starts one command as the sandbox uid, under its limits: the fast path of execute.py's run()
 * in the images that have a C compiler (cpp, rust), spawned with posix_spawn (vfork) instead of
 * a fork of the Python runner, which costs a millisecond more per test.
 *
 *   launch UID AS_BYTES CPU_S NPROC FSIZE_BYTES CWD -- COMMAND ARGS...
 *
 * fd 5 is the runner's failure pipe: anything that goes wrong before the exec is written there
 * (and the exit code is 127); a successful exec closes it. fds 0..4 are the command's.
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
    if (argc < 9 || strcmp(argv[7], "--") != 0) {
        errno = EINVAL;
        fail("usage");
    }
    close_range(6, ~0U, 0);
    char *end;
    errno = 0;
    long uid = strtol(argv[1], &end, 10);
    if (errno || *end || uid <= 0) fail("uid");
    limit(RLIMIT_AS, argv[2], "RLIMIT_AS");
    limit(RLIMIT_CPU, argv[3], "RLIMIT_CPU");
    limit(RLIMIT_NPROC, argv[4], "RLIMIT_NPROC");
    limit(RLIMIT_FSIZE, argv[5], "RLIMIT_FSIZE");
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
    if (mkdir(argv[6], 0755) != 0 && errno != EEXIST) fail("mkdir");
    if (chdir(argv[6]) != 0) fail("chdir");
    execve(argv[8], &argv[8], environ);
    fail(argv[8]);
    return 127;
}
