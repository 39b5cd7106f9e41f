/* util.h: small helpers every layer may use: paths, file tests,
 * reading a whole file, edit distance for "did you mean" suggestions, and the relative difference the
 * gradient checks report. */
#ifndef NN_UTIL_H
#define NN_UTIL_H

#include <stddef.h>

/* The text of a macro's value: NN_STR(NN_CHECK_GRAD_TOL) is "1e-7". */
#define NN_STR_(v) #v
#define NN_STR(v) NN_STR_(v)

/* "dir/name" in a static buffer (valid until the next call). */
const char *nn_path_join(const char *dir, const char *name);

/* 1 when path names a regular file. */
int nn_file_exists(const char *path);

/* The whole file as a NUL-terminated string the caller frees; NULL when it
 * cannot be opened or read (or on no memory). */
char *nn_read_text(const char *path);

/* Edit distance of two names of at most 64 characters (insertions,
 * deletions, substitutions and swaps of two neighbouring characters each
 * count 1: optimal string alignment); a large number for longer ones. */
int nn_edit_distance(const char *a, const char *b);

/* The relative difference of two vectors from the squared norms of their
 * difference and of each: ||a - b|| / (||a|| + ||b||), 0 when both are 0,
 * NaN when any input is NaN (so that a comparison with a tolerance fails). */
double nn_rel_diff(double diff2, double a2, double b2);

#endif
