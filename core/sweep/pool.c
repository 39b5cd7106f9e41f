/* pool.c: starting trial processes and reading their results (pool.h). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nnlab/io.h"
#include "run_info.h"
#include "util.h"

double nn_sw_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int nn_sw_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* exe run file -q --force -o run_dir [--keep-state] [--continue-from F]
 * [--plugin-path P] -s ov...; NULL-terminated, owned. */
static const char **run_argv(const char *exe, const char *file, const char *run_dir, char *const *ov,
                             int n_ov, const char *plugin_path, const nn_sw_chain *chain)
{
    const char **argv = calloc((size_t)(2 * n_ov + 14), sizeof(char *));
    int a = 0;
    if (!argv)
        return NULL;
    argv[a++] = exe;
    argv[a++] = "run";
    argv[a++] = file;
    argv[a++] = "-q";
    argv[a++] = "--force"; /* the sweep owns its trial folders: a retried trial starts afresh */
    argv[a++] = "-o";
    argv[a++] = run_dir;
    if (chain && chain->keep_state)
        argv[a++] = "--keep-state";
    if (chain && chain->from) {
        argv[a++] = "--continue-from";
        argv[a++] = chain->from;
    }
    if (plugin_path) {
        argv[a++] = "--plugin-path";
        argv[a++] = plugin_path;
    }
    for (int i = 0; i < n_ov; i++) {
        argv[a++] = "-s";
        argv[a++] = ov[i];
    }
    return argv;
}

int nn_sw_spawn(const char *exe, const char *file, const char *run_dir, char *const *ov, int n_ov,
                const char *plugin_path, const nn_sw_chain *chain, pid_t *pid, nn_err *err)
{
    int rc = nn_mkdirs(run_dir, err);
    if (rc)
        return rc;
    /* a summary left by an interrupted attempt must not be taken for this one's */
    unlink(nn_path_join(run_dir, "summary.json"));
    char log[4200];
    snprintf(log, sizeof log, "%s/run.log", run_dir);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return nn_err_set(err, NN_EIO, "%s: cannot create: %s", log, strerror(errno));
    /* everything the child needs is built before fork (no allocation after it) */
    const char **argv = run_argv(exe, file, run_dir, ov, n_ov, plugin_path, chain);
    if (!argv) {
        close(fd);
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    }
    pid_t parent = getpid();
    fflush(NULL);
    pid_t p = fork();
    if (p == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed sweep takes its trials with it */
        if (getppid() != parent)
            _exit(127);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(127);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, STDIN_FILENO);
        execv(exe, (char *const *)argv);
        static const char msg[] = "nnlab: cannot start the nnlab command for this trial\n";
        if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
            _exit(127);
        _exit(127);
    }
    int e = errno;
    close(fd);
    free(argv);
    if (p < 0)
        return nn_err_set(err, NN_EIO, "cannot start a trial process: %s", strerror(e));
    *pid = p;
    return NN_OK;
}

/* What nnlab run --continue-from says (core/output/run.c). */
#define CONTINUED "nnlab: continued from "
#define NOT_CONTINUED "nnlab: warning: cannot continue: "
#define NOT_CONTINUED_TAIL "; training from the first epoch"

/* The last "nnlab: ..." line of run.log (the run's own message; the note
 * that it went on from a state is none), and what it says of going on from
 * the rung before. */
static void read_log(const char *run_dir, char *out, size_t n, nn_sw_result *r)
{
    FILE *f = fopen(nn_path_join(run_dir, "run.log"), "r");
    out[0] = '\0';
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "nnlab: ", 7) != 0)
            continue;
        line[strcspn(line, "\n")] = '\0';
        const char *ep = strstr(line, ": epochs ");
        if (strncmp(line, CONTINUED, strlen(CONTINUED)) == 0 && ep) {
            r->cont = 1;
            r->cont_first = atol(ep + 9);
            continue;
        }
        if (strncmp(line, NOT_CONTINUED, strlen(NOT_CONTINUED)) == 0) {
            r->cont = -1;
            char *tail = strstr(line, NOT_CONTINUED_TAIL);
            if (tail)
                *tail = '\0';
            snprintf(r->cont_why, sizeof r->cont_why, "%s", line + strlen(NOT_CONTINUED));
        }
        snprintf(out, n, "%s", line + 7);
    }
    if (f)
        fclose(f);
}

void nn_sw_result_of(const char *run_dir, int ws, double seconds, nn_sw_result *r)
{
    memset(r, 0, sizeof *r);
    r->train = r->val = r->best_val = r->test = r->loss = NAN;
    r->iterations = r->grad_evals = -1;
    r->seconds = seconds;
    char msg[sizeof r->reason];
    read_log(run_dir, msg, sizeof msg, r);
    if (WIFSIGNALED(ws)) {
        snprintf(r->status, sizeof r->status, "crashed");
        snprintf(r->reason, sizeof r->reason, "killed by signal %d (%s); see run.log", WTERMSIG(ws),
                 strsignal(WTERMSIG(ws)));
        return;
    }
    int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 1;
    nn_run_info info;
    nn_err e;
    int have = (code == 0 || code == 1) && nn_run_summary_read(run_dir, &info, &e) == NN_OK;
    if (have) {
        r->train = info.train;
        r->val = info.val;
        r->best_val = info.best_val;
        r->test = info.test;
        r->loss = info.loss;
        r->iterations = info.iterations;
        r->grad_evals = isfinite(info.gradient_evaluations) ? (long)info.gradient_evaluations : -1;
    }
    if (code == 0 && have) {
        snprintf(r->status, sizeof r->status, "%s", info.status[0] ? info.status : "ok");
        return;
    }
    if (code == 1 && have && strcmp(info.status, "diverged") == 0)
        snprintf(r->status, sizeof r->status, "diverged");
    else
        snprintf(r->status, sizeof r->status, code == 2 ? "error" : "failed");
    snprintf(r->reason, sizeof r->reason, "%s", msg);
    if (!r->reason[0])
        snprintf(r->reason, sizeof r->reason, code == 127 ? "the nnlab command could not be started"
                 : "exit status %d; see run.log", code);
}
