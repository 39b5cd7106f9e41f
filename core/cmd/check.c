/* check.c: `nnlab check [NAME | KIND/NAME | PATH.so]... [--experiment FILE]`:
 * plugin conformance suites and the whole-network gradient check (core/check/check.h).
 * Exit status: 0 when every check passes, 1 when one fails (a check that
 * crashes or runs out of time fails), 2 on bad input (unknown plugin, missing
 * file, unreadable experiment, bad option). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cmd.h"
#include "gradcheck.h"
#include "util.h"

static const char usage_text[] =
    "usage: nnlab check [NAME | KIND/NAME | PATH.so]... [--experiment FILE]... [--plugin-path DIR]\n"
    "                   [--batch N] [--per-tensor N | --all] [--eps E] [--timeout SECONDS]\n"
    "  no plugin and no experiment: every plugin on the search path\n"
    "  --timeout SECONDS  time limit of each check (default 5; checks that load a data set get 30 times\n"
    "                     as long); every check runs in its own process: one that crashes or runs out\n"
    "                     of time fails with the signal or the limit, and the next check runs\n"
    "  --experiment FILE  gradient check of the experiment's whole network on a small batch\n"
    "  --batch N          examples in that batch (default 8)\n"
    "  --per-tensor N     elements checked per tensor (default 100, chosen with a fixed seed); --all: every one\n"
    "  --eps E            central-difference step (default " NN_STR(NN_GC_DEFAULT_EPS) ")\n";

/* The value of option opt: a number in [lo, hi] (a whole one when whole),
 * or -1 with a message naming it. */
static int parse_num(const char *opt, const char *s, double lo, double hi, int whole, double *out)
{
    char *end;
    double v = strtod(s, &end);
    int hex = strchr(s, 'x') || strchr(s, 'X');
    if (end == s || *end || hex || !(v >= lo && v <= hi) || (whole && v != (double)(long)v)) {
        fprintf(stderr, whole ? "nnlab check: %s: '%s' is not a whole number from %.0f to %.0f\n"
                              : "nnlab check: %s: '%s' is not a number from %g to %g\n", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int nn_cmd_check(int argc, char **argv)
{
    const char *extra = NULL;
    const char **names = calloc((size_t)argc, sizeof(char *)), **exps = calloc((size_t)argc, sizeof(char *));
    int n_names = 0, n_exps = 0;
    nn_check_model_opts mo = {0};
    double timeout = NN_CHECK_TIMEOUT;
    if (!names || !exps)
        return 1;
    int bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        double v = 0;
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (nn_opt_plugin_path(argc, argv, &i, &extra))
            continue;
        if (strcmp(a, "--experiment") == 0 && has) {
            exps[n_exps++] = argv[++i];
        } else if (strcmp(a, "--batch") == 0 && has) {
            bad = parse_num(a, argv[++i], 1, 1e6, 1, &v) != 0;
            mo.batch = (long)v;
        } else if (strcmp(a, "--per-tensor") == 0 && has) {
            bad = parse_num(a, argv[++i], 1, 1e12, 1, &v) != 0;
            mo.per_tensor = (size_t)v;
        } else if (strcmp(a, "--eps") == 0 && has) {
            bad = parse_num(a, argv[++i], 1e-15, 1, 0, &v) != 0;
            mo.eps = v;
        } else if (strcmp(a, "--timeout") == 0 && has) {
            bad = parse_num(a, argv[++i], 1e-3, 1e6, 0, &v) != 0;
            timeout = v;
        } else if (strcmp(a, "--all") == 0) {
            mo.all = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            free(names);
            free(exps);
            return 0;
        } else if (a[0] == '-') {
            fprintf(stderr, "nnlab check: bad option or missing value: '%s'\n%s", a, usage_text);
            free(names);
            free(exps);
            return 2;
        } else {
            names[n_names++] = a;
        }
    }
    if (bad || nn_check_plugin_path("check", extra)) {
        free(names);
        free(exps);
        return 2;
    }
    nn_registry reg;
    nn_registry_init(&reg, extra);
    nn_checker c;
    nn_err ierr = {{0}};
    if (nn_checker_init(&c, &reg, stdout, timeout, &ierr) != NN_OK) {
        fprintf(stderr, "nnlab check: %s\n", ierr.msg);
        nn_registry_free(&reg);
        free(names);
        free(exps);
        return 1;
    }
    int bad_input = 0;
    if (n_names == 0 && n_exps == 0 && nn_check_all(&c) == 0) {
        fprintf(stderr, "nnlab check: no plugins found; search path:");
        for (int i = 0; i < reg.n_dirs; i++)
            fprintf(stderr, " %s", reg.dirs[i]);
        fprintf(stderr, "\n");
        bad_input = 1;
    }
    for (int i = 0; i < n_names; i++) {
        nn_err err = {{0}};
        if (nn_check_plugin(&c, names[i], &err) != 0) {
            fprintf(stderr, "nnlab check: %s\n", err.msg);
            bad_input = 1;
        }
    }
    for (int i = 0; i < n_exps; i++) {
        nn_err err = {{0}};
        if (nn_check_experiment(&c, exps[i], &mo, &err) != 0) {
            fprintf(stderr, "nnlab check: %s\n", err.msg);
            bad_input = 1;
        }
    }
    printf("nnlab check: %d passed, %d failed, %d skipped (%d plugin%s or experiment%s)\n", c.pass, c.fail,
           c.skip, c.plugins, c.plugins == 1 ? "" : "s", c.plugins == 1 ? "" : "s");
    nn_checker_free(&c);
    nn_registry_free(&reg);
    free(names);
    free(exps);
    return bad_input ? 2 : c.fail ? 1 : 0;
}
