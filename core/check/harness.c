/* harness.c: runs each check in a child process with a time limit, so that
 * a plugin that crashes, exits or never returns fails that one check and the
 * suite goes on; prints the PASS/FAIL/SKIP lines and counts them.
 *
 * The counts, the name of the check under way and a result code live in one
 * anonymous shared mapping (nn_check_tally): what a child reports before it
 * dies is counted, and the parent knows which check it was in. The child's
 * output (and anything a plugin prints) comes back through a pipe, which the
 * parent copies to c->out while it waits for the deadline. */
#define _GNU_SOURCE
#include "suite.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* A child that could not allocate exits with this status. */
#define NOMEM_STATUS 86

struct nn_check_tally {
    int pass, fail, skip;
    int done;                /* the check's function returned */
    char doing[160];         /* name of the check under way */
    int rc;                  /* nn_chk_set_result */
    nn_err err;
};

int nn_checker_init(nn_checker *c, const nn_registry *reg, FILE *out, double timeout, nn_err *err)
{
    memset(c, 0, sizeof *c);
    c->reg = reg;
    c->out = out;
    c->timeout = timeout > 0 ? timeout : NN_CHECK_TIMEOUT;
    void *m = mmap(NULL, sizeof *c->tally, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return nn_err_set(err, NN_ENOMEM, "cannot map memory shared with the checks: %s", strerror(errno));
    c->tally = m;
    memset(c->tally, 0, sizeof *c->tally);
    return NN_OK;
}

void nn_checker_free(nn_checker *c)
{
    if (c->tally)
        munmap(c->tally, sizeof *c->tally);
    c->tally = NULL;
}

static void sync_counts(nn_checker *c)
{
    c->pass = c->tally->pass;
    c->fail = c->tally->fail;
    c->skip = c->tally->skip;
}

void nn_chk_report(nn_checker *c, int st, const char *what, const char *fmt, ...)
{
    static const char *const tag[] = {"PASS", "FAIL", "SKIP"};
    char msg[1500];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(c->out, "%s %s  %s: %s\n", tag[st], c->who, what ? what : c->tally->doing, msg);
    fflush(c->out);
    if (st == NN_CHK_PASS)
        c->tally->pass++;
    else if (st == NN_CHK_FAIL)
        c->tally->fail++;
    else
        c->tally->skip++;
    sync_counts(c);
}

void nn_chk_doing(nn_checker *c, const char *what)
{
    snprintf(c->tally->doing, sizeof c->tally->doing, "%s", what);
}

void nn_chk_set_result(nn_checker *c, int rc, const nn_err *err)
{
    c->tally->rc = rc;
    if (err)
        c->tally->err = *err;
}

int nn_chk_result(const nn_checker *c, nn_err *err)
{
    if (err)
        *err = c->tally->err;
    return c->tally->rc;
}

void *nn_chk_alloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        static const char msg[] = "nnlab check: out of memory\n";
        if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
            /* nothing more to say */
        }
        _exit(NOMEM_STATUS);
    }
    return p;
}

/* ---- the child ------------------------------------------------------------------ */

static void child(nn_checker *c, int fd, nn_chk_fn fn, const void *arg)
{
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none); /* a crash is a result here, not a core file */
#ifdef __linux__
    prctl(PR_SET_DUMPABLE, 0);
#endif
    signal(SIGPIPE, SIG_DFL);
    FILE *out = fdopen(fd, "w");
    if (!out || dup2(fd, STDOUT_FILENO) < 0)
        _exit(NOMEM_STATUS);
    c->out = out;
    fn(c, arg);
    c->tally->done = 1;
    fflush(stdout);
    fflush(out);
    _exit(0);
}

/* ---- the parent: copy the output until the deadline, then judge ------------------- */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Copies the child's output to out until end of file or the deadline.
 * Returns 0 at end of file, 1 at the deadline; *nl: the last byte was '\n'. */
static int copy_output(int fd, FILE *out, double deadline, int *nl)
{
    char buf[4096];
    for (;;) {
        double left = deadline - now();
        if (left <= 0)
            return 1;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue; /* the deadline is checked at the top */
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        fwrite(buf, 1, (size_t)n, out);
        *nl = buf[n - 1] == '\n';
    }
}

/* waitpid until the deadline; 1 when the child is gone (*status set). */
static int wait_until(pid_t pid, int *status, double deadline)
{
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 1;
        if (r < 0 && errno != EINTR)
            return 1;
        if (now() >= deadline)
            return 0;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

static const char *signal_name(int sig)
{
    static const struct {
        int sig;
        const char *name;
    } names[] = {{SIGSEGV, "SIGSEGV"}, {SIGBUS, "SIGBUS"}, {SIGFPE, "SIGFPE"},   {SIGILL, "SIGILL"},
                 {SIGABRT, "SIGABRT"}, {SIGTRAP, "SIGTRAP"}, {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"},
                 {SIGPIPE, "SIGPIPE"}, {SIGSYS, "SIGSYS"},  {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"},
                 {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGALRM, "SIGALRM"},
                 {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig)
            return names[i].name;
    return "unknown signal";
}

void nn_chk_run(nn_checker *c, const char *what, double scale, nn_chk_fn fn, const void *arg)
{
    nn_check_tally *t = c->tally;
    t->done = 0;
    nn_chk_doing(c, what);
    double limit = c->timeout * (scale > 0 ? scale : 1);
    fflush(c->out);
    fflush(stdout);
    fflush(stderr);
    int fd[2];
    if (pipe(fd) != 0) {
        nn_chk_report(c, NN_CHK_FAIL, what, "cannot run the check: pipe: %s", strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        nn_chk_report(c, NN_CHK_FAIL, what, "cannot run the check: fork: %s", strerror(errno));
        close(fd[0]);
        close(fd[1]);
        return;
    }
    if (pid == 0) {
        close(fd[0]);
        child(c, fd[1], fn, arg);
    }
    close(fd[1]);
    double deadline = now() + limit;
    int nl = 1, status = 0;
    int late = copy_output(fd[0], c->out, deadline, &nl);
    if (!late)
        late = !wait_until(pid, &status, deadline);
    if (late) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    close(fd[0]);
    if (!nl)
        fputc('\n', c->out);
    if (late)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "timed out after %g s and was killed (the limit of each check is set with --timeout)",
                      limit);
    else if (WIFSIGNALED(status))
        nn_chk_report(c, NN_CHK_FAIL, NULL, "crashed (signal %d, %s)", WTERMSIG(status),
                      signal_name(WTERMSIG(status)));
    else if (WIFEXITED(status) && WEXITSTATUS(status) == NOMEM_STATUS && !t->done)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "ran out of memory");
    else if (!t->done)
        nn_chk_report(c, NN_CHK_FAIL, NULL, "exited with status %d before the check finished (a plugin must not call exit)",
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    sync_counts(c);
    fflush(c->out);
}
