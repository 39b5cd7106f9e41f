/* run.c: `nnlab run FILE [-o DIR] [-s key=value]... [-q]`; the shared
 * --plugin-path option. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "run.h"
#include "spec.h"

int nn_opt_plugin_path(int argc, char **argv, int *i, const char **out)
{
    if (strncmp(argv[*i], "--plugin-path=", 14) == 0) {
        *out = argv[*i] + 14;
        return 1;
    }
    if (strcmp(argv[*i], "--plugin-path") == 0 && *i + 1 < argc) {
        *out = argv[++*i];
        return 1;
    }
    return 0;
}

int nn_check_plugin_path(const char *cmd, const char *path)
{
    if (!path)
        return 0;
    if (!path[0]) {
        fprintf(stderr, "nnlab %s: --plugin-path: no folder given\n", cmd);
        return 2;
    }
    for (const char *p = path; *p;) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char dir[4096];
        snprintf(dir, sizeof dir, "%.*s", (int)n, p);
        struct stat st;
        if (n > 0 && stat(dir, &st) != 0) {
            fprintf(stderr, "nnlab %s: --plugin-path: '%s': %s\n", cmd, dir, strerror(errno));
            return 2;
        }
        if (n > 0 && !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "nnlab %s: --plugin-path: '%s': not a folder\n", cmd, dir);
            return 2;
        }
        p += n + (e ? 1 : 0);
    }
    return 0;
}

int nn_cmd_run(int argc, char **argv)
{
    nn_run_opts o = {0};
    const char **ov = calloc((size_t)argc, sizeof(char *));
    if (!ov)
        return 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            o.out_dir = argv[++i];
        else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
            ov[o.n_overrides++] = argv[++i];
        else if (strcmp(argv[i], "-q") == 0)
            o.quiet = 1;
        else if (strcmp(argv[i], "--force") == 0)
            o.force = 1;
        else if (strcmp(argv[i], "--resume") == 0)
            o.resume = 1;
        else if (strcmp(argv[i], "--keep-state") == 0)
            o.keep_state = 1;
        else if (strcmp(argv[i], "--continue-from") == 0 && i + 1 < argc)
            o.continue_from = argv[++i];
        else if (nn_opt_plugin_path(argc, argv, &i, &o.plugin_path))
            continue;
        else if (argv[i][0] == '-' || o.file) {
            fprintf(stderr, "nnlab run: unexpected argument '%s'\n"
                            "usage: nnlab run FILE [-o DIR] [-s key=value]... [-q] [--force | --resume] [--keep-state] [--continue-from RUN_DIR] [--plugin-path DIR]\n",
                    argv[i]);
            free(ov);
            return 2;
        } else
            o.file = argv[i];
    }
    if (!o.file) {
        fprintf(stderr, "usage: nnlab run FILE [-o DIR] [-s key=value]... [-q] [--force | --resume] [--keep-state] [--continue-from RUN_DIR] [--plugin-path DIR]\n");
        free(ov);
        return 2;
    }
    if (o.force && o.resume) {
        fprintf(stderr, "nnlab run: --force and --resume exclude each other\n");
        free(ov);
        return 2;
    }
    if (o.continue_from && o.resume) {
        fprintf(stderr, "nnlab run: --continue-from and --resume exclude each other (--resume goes "
                        "on with the run in -o DIR itself)\n");
        free(ov);
        return 2;
    }
    if (nn_check_plugin_path("run", o.plugin_path)) {
        free(ov);
        return 2;
    }
    o.overrides = ov;
    o.check = nn_sw_section_check; /* a sweep section is nnlab sweep's; a malformed one is refused */
    nn_err err = {{0}};
    int rc = nn_run(&o, &err);
    if (rc && rc != NN_EDIVERGED)
        fprintf(stderr, "nnlab: %s\n", err.msg);
    free(ov);
    if (rc == NN_OK && nn_run_signal())
        return 128 + nn_run_signal(); /* 130 for SIGINT, 143 for SIGTERM */
    return nn_exit_status(rc);
}
