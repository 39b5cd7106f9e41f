/* extra.c: the table of further sub-commands (each in its own file). */
#include <stddef.h>

#include "cmd.h"

const nn_command nn_extra_commands[] = {
    {"export", "write the data plugin's arrays as .npy: nnlab export FILE -o DIR", nn_cmd_export},
    {NULL, NULL, NULL},
};
