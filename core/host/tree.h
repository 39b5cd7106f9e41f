/* tree.h: a setting of a loaded experiment as a plain tree of names, types,
 * values and source lines, with each value's libconfig text, so that layers
 * above the host (the sweep section's reader) need no libconfig. */
#ifndef NN_TREE_H
#define NN_TREE_H

#include "experiment.h"

typedef enum nn_tree_type {
    NN_TREE_INT,
    NN_TREE_REAL,
    NN_TREE_BOOL,
    NN_TREE_STRING,
    NN_TREE_ARRAY,               /* [1, 2]: scalars of one type */
    NN_TREE_LIST,                /* ( ... ): anything */
    NN_TREE_GROUP                /* { key = value; ... } */
} nn_tree_type;

typedef struct nn_tree {
    char name[64];               /* "" for elements of arrays and lists */
    nn_tree_type type;
    int line;                    /* source line; 0 for a value given with -s */
    long long i;                 /* INT, BOOL */
    int hex;                     /* INT: written in hexadecimal (0x...) */
    double r;                    /* REAL; INT as a double too */
    char *s;                     /* STRING, owned */
    char *text;                  /* the value in libconfig syntax (reals in the
                                    shortest form that reads back exactly), owned */
    struct nn_tree *kids;        /* ARRAY, LIST, GROUP: n_kids, owned */
    int n_kids;
} nn_tree;

/* The setting at path (e.g. "sweep") of a loaded experiment as a tree in
 * *out, owned by the caller (nn_tree_free); *out is NULL when it is absent. */
int nn_tree_of(const nn_experiment *x, const char *path, nn_tree **out, nn_err *err);

/* One value in libconfig syntax ("0.1", "[10, 5]", "\"adam\"") as a tree
 * with line 0, its integers as written (exact.h); NN_EINPUT with the
 * parser's reason when it does not parse, or the literal that does not fit. */
int nn_tree_parse(const char *literal, nn_tree **out, nn_err *err);

void nn_tree_free(nn_tree *t);

/* The member of a group by name, or NULL. */
const nn_tree *nn_tree_member(const nn_tree *t, const char *name);

/* An INT's value for messages as it was written: 0x1FFFFFFFF or 42. */
void nn_tree_int_text(const nn_tree *t, char *out, size_t n);

/* "an integer", "a number", "a list", ... for messages. */
const char *nn_tree_type_name(nn_tree_type t);

/* A real in the shortest "%.Ng" form that reads back exactly, with ".0"
 * added when it would otherwise read as an integer. */
void nn_tree_format_real(double v, char *out, size_t n);

#endif
