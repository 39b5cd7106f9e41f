/* main.c: the nnlab command: dispatches to one function per sub-command. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const nn_command commands[] = {
    {"run", "run an experiment: nnlab run FILE [-o DIR] [-s key=value]... [-q]", nn_cmd_run},
    {"list", "list plugins with their hyperparameters: nnlab list [init|optim|reg|data]", nn_cmd_list},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: nnlab COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
    for (const nn_command *c = nn_extra_commands; c && c->name; c++)
        fprintf(f, "  %-8s %s\n", c->name, c->help);
    fprintf(f, "\ncommon options: --plugin-path DIR[:DIR...] (also NNLAB_PLUGIN_PATH)\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    for (const nn_command *c = nn_extra_commands; c && c->name; c++)
        if (strcmp(argv[1], c->name) == 0)
            return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "nnlab: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
