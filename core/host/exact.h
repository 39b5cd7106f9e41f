/* exact.h: integers exactly as written. libconfig 1.5 reads an integer
 * literal without the L suffix as 32 bits and wraps it (99999999999 becomes
 * 1215752191, 4294967296 becomes 0) without a word. nn_config_exact_ints
 * reads the literals again from the source text and gives every integer
 * setting the value written: a wrapped one becomes a 64-bit setting of the
 * exact value; one beyond 64 bits is refused. */
#ifndef NN_EXACT_H
#define NN_EXACT_H

#include <libconfig.h>
#include <stddef.h>

/* What nn_config_exact_ints found wrong. */
typedef struct nn_int_issue {
    const config_setting_t *setting; /* the setting written so, or NULL when not known */
    const char *file;                /* the source holding the literal ("" for text) */
    int line;                        /* its line in that source */
    char literal[80];                /* the literal as written */
    int wrapped;                     /* 1: read as 32 bits; 0: beyond 64 bits */
} nn_int_issue;

/* Checks every integer setting of cfg against its literal in the source:
 * text when not NULL (what config_read_string read), else the files the
 * settings came from (main_file for those config_read read from a stream,
 * which records no name). Returns 0 (values now exact), or 1 with *bad
 * describing a literal that does not fit in 64 bits, or (when the literals
 * and the settings cannot be paired) one that libconfig wrapped. */
int nn_config_exact_ints(config_t *cfg, const char *main_file, const char *text,
                         nn_int_issue *bad);

#endif
