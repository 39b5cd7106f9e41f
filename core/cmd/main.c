/* main.c: the nnlab command: the one table of sub-commands (each in its own
 * file) with their one-line help, and main(), which dispatches on it. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "report.h"

/* One row of the table: the name, its one-line help, its usage (the
 * synopsis line, then one line per option; NULL for a command that prints
 * its own on --help), its function. */
typedef struct nn_command {
    const char *name;
    const char *help;
    const char *usage;
    int (*fn)(int argc, char **argv);
} nn_command;

static int cmd_help(int argc, char **argv);

#define PLUGIN_PATH_OPT "  --plugin-path DIR[:DIR...]  more plugin folders, searched first (also NNLAB_PLUGIN_PATH)\n"

static const nn_command commands[] = {
    {"run", "run an experiment: nnlab run FILE [-o DIR] [-s key=value]... [-q]",
     "nnlab run FILE [-o DIR] [-s key=value]... [-q] [--force | --resume] [--keep-state]\n"
     "          [--continue-from RUN_DIR] [--plugin-path DIR]\n"
     "  -o DIR        run folder (default: output.dir, else runs/<name>); one that holds a run\n"
     "                is refused unless --force\n"
     "  --force       replace the run the folder holds (its outputs are removed first)\n"
     "  --resume      continue the run the folder holds from its checkpoint/ (written every\n"
     "                train.checkpoint_every epochs and when SIGINT or SIGTERM stops a run,\n"
     "                which then exits 130 or 143); the result is the uninterrupted run's\n"
     "  --keep-state  leave continue/ in the folder: the end state a run of more epochs of\n"
     "                the same experiment can go on from (halving sweeps use it)\n"
     "  --continue-from RUN_DIR  go on from RUN_DIR/continue/ (a --keep-state run of this\n"
     "                experiment with fewer epochs; only name and train.epochs may differ):\n"
     "                the same result as training from the first epoch, which is done (with\n"
     "                a warning saying why) when that state cannot be used\n"
     "  -s key=value  override one setting, libconfig syntax (-s optim.lr=0.05 -s 'model.hidden=[8]')\n"
     "  -q            no progress output\n" PLUGIN_PATH_OPT,
     nn_cmd_run},
    {"list", "list plugins with their hyperparameters: nnlab list [init|optim|reg|data]",
     "nnlab list [init|optim|reg|data] [--plugin-path DIR]\n"
     "  every plugin on the search path (or of one kind) with its hyperparameters\n" PLUGIN_PATH_OPT,
     nn_cmd_list},
    {"export", "write the data plugin's arrays as .npy: nnlab export FILE -o DIR",
     "nnlab export FILE -o DIR [--plugin-path DIR]\n"
     "  -o DIR        folder for X_train.npy, y_train.npy, ... of the experiment's data\n" PLUGIN_PATH_OPT,
     nn_cmd_export},
    {"eval", "evaluate a run's saved weights: nnlab eval RUN_DIR [--data FILE] [--predictions DIR]",
     "nnlab eval RUN_DIR [--data FILE] [--predictions DIR] [-q] [--plugin-path DIR]\n"
     "  --data FILE        an experiment file whose data replace the run's\n"
     "  --predictions DIR  write predictions and probabilities as .npy\n"
     "  -q                 no progress output\n" PLUGIN_PATH_OPT,
     nn_cmd_eval},
    {"compare", "overlay runs' curves, table of summaries: nnlab compare RUN_DIR... [-o DIR] [--log]",
     "nnlab compare RUN_DIR... [-o DIR] [--log]\n"
     "  -o DIR   folder for compare.md and compare.png (default ./compare)\n"
     "  --log    logarithmic loss axis\n",
     nn_cmd_compare},
    {"check", "plugin conformance and gradient checks: nnlab check [NAME | KIND/NAME | PATH.so]... [--experiment FILE]",
     NULL, nn_cmd_check},
    {"new", "start a plugin from a commented template: nnlab new KIND NAME [-o FILE] [--force]",
     NULL, nn_cmd_new},
    {"sweep", "hyperparameter search (grid, random, halving; resumable; shards, MPI): nnlab sweep FILE [-g key=v1,v2...] [-j N] [-o DIR] | --status DIR",
     NULL, nn_cmd_sweep},
    {"benchmark", "is an optimizer any good: tuned against baselines on a suite of problems: nnlab benchmark OPTIM... [--suite small|full] [-j N] [-o DIR]",
     NULL, nn_cmd_benchmark},
    {"bench", "GEMM peak and training speed: nnlab bench [--layers 154,512,512,10] [--batch 500] [--optim adam] [--threads 1] [--json]",
     NULL, nn_cmd_bench},
    {"help", "list the commands, or show one: nnlab help [COMMAND]",
     "nnlab help [COMMAND]\n"
     "  the commands, or one command's usage and options\n",
     cmd_help},
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
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\ncommon options: --plugin-path DIR[:DIR...] (also NNLAB_PLUGIN_PATH)\n"
               "nnlab COMMAND --help: that command's usage; nnlab --version: the versions\n");
}

/* One command's usage and options on stdout; the exit status. */
static int command_usage(const nn_command *c)
{
    if (c->usage) {
        printf("usage: %s", c->usage);
        return 0;
    }
    char name[32], help[] = "--help";
    snprintf(name, sizeof name, "%s", c->name);
    char *args[] = {name, help, NULL};
    return c->fn(2, args);
}

/* -h or --help among a command's arguments (before a "--"). */
static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    return 0;
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
    return command_usage(c);
}

int main(int argc, char **argv)
{
    /* a file-size limit (ulimit -f) makes writes fail with EFBIG, reported
     * like any failed write, instead of killing the process mid-file */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        nn_print_version(stdout);
        return 0;
    }
    const nn_command *c = find(argv[1]);
    if (c && wants_help(argc - 1, argv + 1))
        return command_usage(c);
    if (c)
        return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "nnlab: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
