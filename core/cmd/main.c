/* main.c: the nnlab command: the one table of sub-commands (each in its own
 * file) with their one-line help, and main(), which dispatches on it. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

/* One row of the table: the name, its one-line help, its function. */
typedef struct nn_command {
    const char *name;
    const char *help;
    int (*fn)(int argc, char **argv);
} nn_command;

static int cmd_help(int argc, char **argv);

static const nn_command commands[] = {
    {"run", "run an experiment: nnlab run FILE [-o DIR] [-s key=value]... [-q]", nn_cmd_run},
    {"list", "list plugins with their hyperparameters: nnlab list [init|optim|reg|data]", nn_cmd_list},
    {"export", "write the data plugin's arrays as .npy: nnlab export FILE -o DIR", nn_cmd_export},
    {"eval", "evaluate a run's saved weights: nnlab eval RUN_DIR [--data FILE] [--predictions DIR]", nn_cmd_eval},
    {"compare", "overlay runs' curves, table of summaries: nnlab compare RUN_DIR... [-o DIR] [--log]", nn_cmd_compare},
    {"check", "plugin conformance and gradient checks: nnlab check [NAME | KIND/NAME | PATH.so]... [--experiment FILE]", nn_cmd_check},
    {"new", "start a plugin from a commented template: nnlab new KIND NAME [-o FILE] [--force]", nn_cmd_new},
    {"sweep", "hyperparameter search (grid, random, halving; resumable; shards, MPI): nnlab sweep FILE [-g key=v1,v2...] [-j N] [-o DIR] | --status DIR", nn_cmd_sweep},
    {"bench", "GEMM peak and training speed: nnlab bench [--layers 154,512,512,10] [--batch 500] [--optim adam] [--threads 1] [--json]", nn_cmd_bench},
    {"help", "list the commands, or show one: nnlab help [COMMAND]", cmd_help},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const nn_command *find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: nnlab COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\ncommon options: --plugin-path DIR[:DIR...] (also NNLAB_PLUGIN_PATH)\n");
}

/* `nnlab help`: the table; `nnlab help COMMAND`: that command's line. */
static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return 0;
    }
    const nn_command *c = find(argv[1]);
    if (!c || argc > 2) {
        if (c)
            fprintf(stderr, "nnlab help: unexpected argument '%s'\n", argv[2]);
        else
            fprintf(stderr, "nnlab help: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    printf("%s: %s\n", c->name, c->help);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const nn_command *c = find(argv[1]);
    if (c)
        return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "nnlab: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
