/* extra.c: the table of further sub-commands (each in its own file). */
#include <stddef.h>

#include "cmd.h"

const nn_command nn_extra_commands[] = {
    {NULL, NULL, NULL},
};
