/* exact.h: integers exactly as written. libconfig 1.5 reads an integer
 * literal without the L suffix as 32 bits and wraps it (99999999999 becomes
 * 1215752191, 4294967296 becomes 0) without a word, and a float literal
 * beyond a double as inf (1e400) or 0 (1e-400). nn_config_exact_ints reads
 * the literals again from the source text and gives every integer setting
 * the value written: a wrapped one becomes a 64-bit setting of the exact
 * value; one beyond 64 bits is refused, and so is a float literal that is
 * not a finite double or that a double holds only as 0. */
#ifndef NN_EXACT_H
#define NN_EXACT_H

#include <libconfig.h>
#include <stddef.h>

/* What is wrong with a literal. */
typedef enum nn_lit_kind {
    NN_LIT_WRAPPED = 1,              /* an integer read as 32 bits (when the pairs are not known) */
    NN_LIT_TOO_BIG,                  /* an integer beyond 64 bits */
    NN_LIT_OVERFLOW,                 /* a float beyond the largest double (read as inf) */
    NN_LIT_UNDERFLOW                 /* a float other than 0 read as 0 */
} nn_lit_kind;

/* What nn_config_exact_ints found wrong. */
typedef struct nn_lit_issue {
    const config_setting_t *setting; /* the setting written so, or NULL when not known */
    const char *file;                /* the source holding the literal ("" for text) */
    int line;                        /* its line in that source */
    char literal[80];                /* the literal as written */
    nn_lit_kind kind;
} nn_lit_issue;

/* Checks every integer and float setting of cfg against its literal in the source:
 * text when not NULL (what config_read_string read), else the files the
 * settings came from (main_file for those config_read read from a stream,
 * which records no name). Returns 0 (values now exact), or 1 with *bad
 * describing a literal that does not fit in 64 bits or in a double, or
 * (when the literals and the settings cannot be paired) one that libconfig
 * wrapped. */
int nn_config_exact_ints(config_t *cfg, const char *main_file, const char *text,
                         nn_lit_issue *bad);

/* The message for *b: "1e400 does not fit in a double (...)", naming the
 * literal as written. */
void nn_lit_reason(const nn_lit_issue *b, char *out, size_t n);

#endif
