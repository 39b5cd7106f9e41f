/* nnlab/plugin.h: the plugin ABI, the only header a plugin needs.
 *
 * A plugin is one shared object exporting one function, nnlab_plugin(), that
 * returns a static, read-only descriptor (LADSPA-style). The descriptor starts
 * with the ABI version and the size of nn_real; the core refuses a plugin built
 * for another ABI or numeric type before touching anything else. The struct is
 * append-only (SQLite VFS style): fields added later are only read when
 * abi_version says they exist.
 *
 * Plugins hold no state of their own. Everything that changes during a run
 * (optimizer slots, dropout masks, random streams) is allocated and owned by
 * the core and passed in, so the core can zero, save, restore and compare it.
 */
#ifndef NNLAB_PLUGIN_H
#define NNLAB_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "nnlab/api.h"
#include "nnlab/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1: the first ABI. 2: optimizer shapes, per-slot lengths, scratch, global
 * scalars with a reduce pass, evaluation point, whole-model steps that
 * re-evaluate the loss (all appended; a v1 plugin loads and runs unchanged). */
#define NN_ABI_VERSION 2

/* Limits a plugin author must respect (the core refuses a descriptor beyond
 * them with a message naming the limit). */
#define NN_MAX_SLOTS 8      /* optimizer state arrays per tensor */
#define NN_MAX_SCALARS 64   /* optimizer global scalars */
#define NN_MAX_REDUCE 16    /* sums of an optimizer's reduce pass */
#define NN_MAX_EVALS 1000   /* extra loss and gradient evaluations per step */
#define NN_MAX_HOOKS 8      /* activation regularizers (dropout, noise) per model */

/* One numeric type for all numeric code: double, or float where the tree is
 * built with -DNN_REAL=float (the NN_FLOAT32 build option), in which case
 * NN_REAL_IS_FLOAT is defined. A plugin built for the other type is refused
 * at load time (real_size in the descriptor). */
#ifndef NN_REAL
#define NN_REAL double
#endif
typedef NN_REAL nn_real;
#define NN_REAL_KIND_(t) NN_REAL_KIND_##t
#define NN_REAL_KIND(t) NN_REAL_KIND_(t)
#define NN_REAL_KIND_float 1
#define NN_REAL_KIND_double 2
#if NN_REAL_KIND(NN_REAL) == 1
#define NN_REAL_IS_FLOAT 1
#elif NN_REAL_KIND(NN_REAL) != 2
#error "NN_REAL must be float or double"
#endif

#define NN_ENTRY_SYMBOL "nnlab_plugin"

#if defined(__GNUC__)
#define NN_EXPORT __attribute__((visibility("default")))
#else
#define NN_EXPORT
#endif

/* Error codes: 0 is success, failures are negative. The one table of codes:
 * X(name, value, exit status of the nnlab command, message). The enum, the
 * names, nn_strerror() and nn_exit_status() are all generated from it. */
#define NN_ERRNO_MAP(X)                                                        \
    X(NN_OK, 0, 0, "success")                                                  \
    X(NN_EINPUT, -1, 2, "bad input")                                           \
    X(NN_EIO, -2, 2, "a file could not be read or written")                    \
    X(NN_ENOMEM, -3, 1, "out of memory")                                       \
    X(NN_EPLUGIN, -4, 2, "a plugin could not be loaded or is inconsistent")    \
    X(NN_EDIVERGED, -5, 1, "training produced a non-finite value")             \
    X(NN_EINTERNAL, -6, 1, "internal error")

enum {
#define NN_ERRNO_ENUM(name, value, status, msg) name = value,
    NN_ERRNO_MAP(NN_ERRNO_ENUM)
#undef NN_ERRNO_ENUM
};

/* The code's message ("bad input"); "unknown error" for a code not in the table. */
NN_API const char *nn_strerror(int code);
/* The code's name ("NN_EINPUT"); "NN_UNKNOWN" for a code not in the table. */
NN_API const char *nn_err_name(int code);
/* Exit status of the nnlab command for a code: 0 for NN_OK, 2 for bad input
 * (NN_EINPUT, NN_EIO, NN_EPLUGIN), 1 otherwise (also for unknown codes). */
NN_API int nn_exit_status(int code);

/* Caller-owned error buffer. Functions that fail write one message here. */
typedef struct nn_err {
    char msg[1024];
} nn_err;

/* printf-style: set err->msg (no-op when err is NULL); returns code. */
NN_API int nn_err_set(nn_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

typedef enum nn_kind {
    NN_KIND_INIT = 1,
    NN_KIND_OPTIM = 2,
    NN_KIND_REG = 3,
    NN_KIND_DATA = 4
} nn_kind;

/* ------------------------------------------------------------------------ */
/* Hyperparameters: declared by the plugin, read and checked by the core.  */

typedef enum nn_type {
    NN_T_REAL = 1,
    NN_T_INT,
    NN_T_BOOL,
    NN_T_STRING,   /* choices "a|b|c" restricts the value; NULL = any text */
    NN_T_INTLIST,  /* e.g. hidden = [10, 5] */
    NN_T_REALLIST, /* e.g. keep_probs = [0.8, 0.9] */
    NN_T_STRLIST,  /* e.g. features = ["hog", "hue_hist"] */
    NN_T_ENUM      /* one of choices "a|b|c", written as a string; nn_value.i is
                      its index in choices, nn_value.s its name; def is the index
                      of the default (def_str, when set, must be its name) */
} nn_type;

/* At most this many parameters per plugin. */
#define NN_MAX_PARAMS 64

typedef struct nn_param_decl {
    const char *name;    /* [a-z0-9_]+ */
    nn_type type;
    double def;          /* default for REAL, INT, BOOL */
    const char *def_str; /* default for STRING; for lists a libconfig literal
                            such as "[10, 5]" (NULL = empty list) */
    double min, max;     /* inclusive range for REAL, INT and list elements */
    const char *choices; /* STRING / STRLIST: allowed values "a|b|c", or NULL */
    const char *doc;     /* one line */
} nn_param_decl;

/* A resolved value, one per declared parameter, in declaration order.
 * Storage belongs to the core and lives as long as the experiment. */
typedef struct nn_value {
    nn_real r;               /* REAL */
    long i;                  /* INT, BOOL */
    const char *s;           /* STRING */
    int n;                   /* list length */
    const long *ints;        /* INTLIST */
    const nn_real *reals;    /* REALLIST */
    const char *const *strs; /* STRLIST */
} nn_value;

/* ------------------------------------------------------------------------ */
/* init: fill one layer's weights and bias.                                */

typedef struct nn_init_ops {
    /* W: (fan_out, fan_in) row-major, b: (fan_out). Draws from rng in
     * row-major order so that the stream equals NumPy's randn(fan_out, fan_in). */
    int (*fill)(const nn_value *hp, nn_rng *rng, nn_real *W, nn_real *b,
                int fan_in, int fan_out);
    /* Declared variance of W's elements (for conformance), or NULL. */
    double (*variance)(const nn_value *hp, int fan_in, int fan_out);
    /* Declared mean of W's elements (NULL means 0). */
    double (*mean)(const nn_value *hp, int fan_in, int fan_out);
} nn_init_ops;

/* ------------------------------------------------------------------------ */
/* optim: a stateless update rule; the core owns every piece of state.
 *
 * One training step, as the core runs it (a v1 plugin only has step 4):
 *   1. the loss and its gradient at param on the batch (penalties and
 *      clipping included);
 *   2. reduce pass (n_reduce > 0): for every tensor in order, reduce() adds
 *      this tensor's terms into acc (n_reduce sums, zeroed first) and may
 *      update the tensor's slots;
 *   3. scalars_update(): once, the only place global scalars change in a
 *      per-tensor rule;
 *   4. step() for every tensor in order, or model_step() once when the
 *      plugin has one (it may call evaluate() up to max_evals() times);
 *   5. constraints of regularizers.
 * Evaluation (validation, test, best-model copy, weights/ and best_weights/)
 * uses eval_point() when the plugin has one, the raw parameters otherwise;
 * the raw iterate stays in the core's state for a resume.
 *
 * Families (nnlab list optim shows them; nnlab check picks its checks):
 *   elementwise  v1-style rule, each element on its own: the update does not
 *                depend on how the flat array is split into tensors;
 *   per-tensor   NN_OPTIM_PER_TENSOR: whole-tensor norms or trust ratios
 *                (LAMB, LARS): the order and interleaving of tensors must not
 *                change the result;
 *   matrix       NN_OPTIM_MATRIX: uses rows/cols (Muon, Shampoo, Adafactor):
 *                checked on matrices, degenerate shapes included;
 *   global       n_scalars > 0 (Prodigy, D-Adaptation, Schedule-Free);
 *   eval-point   eval_point != NULL (Schedule-Free, ASGD, Lookahead);
 *   re-evaluating  model_step != NULL (SAM, L-BFGS). */

enum {
    NN_OPTIM_DECOUPLED_DECAY = 1u << 0, /* a zero gradient may still move params */
    /* ABI 2 */
    NN_OPTIM_PER_TENSOR = 1u << 1,      /* an element's update depends on its whole tensor */
    NN_OPTIM_MATRIX = 1u << 2           /* the rule uses the shape of 2-D weights */
};

typedef struct nn_optim_step {
    nn_real *param;         /* (n) updated in place */
    const nn_real *grad;    /* (n) */
    nn_real *const *slot;   /* n_slots arrays of slot_len[k] (default n), zeroed by the core at start */
    size_t n;
    long t;                 /* step count, 1 for the first step */
    nn_real lr;             /* learning rate after the schedule */
    int is_bias;            /* 1 for a bias vector */
    /* ABI 2: always filled by the core; a v1 plugin never reads them. */
    int rows, cols;         /* a weight is (rows = fan_out, cols = fan_in) row-major; a bias (n, 1) */
    int layer, n_layers;    /* 0-based weight layer; the first is 0, the last n_layers - 1 */
    int index, n_tensors;   /* position of this tensor in the step (W1, b1, W2, b2, ...) */
    const size_t *slot_len; /* (n_slots) elements of each slot */
    nn_real *scratch;       /* scratch_len elements of this tensor's own scratch, or NULL:
                               contents undefined on entry (the checks fill it with NaN),
                               nothing kept there between calls */
    size_t scratch_len;
    const nn_real *scalars; /* (n_scalars) global scalars, read-only here */
    const nn_real *reduced; /* (n_reduce) this step's sums of the reduce pass, or NULL */
} nn_optim_step;

/* A whole-model step (ABI 2): every tensor at once, with re-evaluation. */
typedef struct nn_optim_model {
    nn_real *param;         /* (n) all parameters, flat (tensor i starts at tensors[i].param) */
    nn_real *grad;          /* (n) gradient of the loss at param on this step's batch */
    double loss;            /* that loss: mean data loss plus penalties */
    size_t n;
    int n_tensors;
    const nn_optim_step *tensors; /* per tensor: views of param, grad, slots, scratch, shape */
    nn_real *scalars;       /* (n_scalars) global scalars, read-write here */
    long t;
    nn_real lr;
    /* Loss and gradient at the current param on the same batch, with the
     * same dropout masks, penalties and clipping: overwrites grad and *loss.
     * Returns NN_OK, or NN_EINTERNAL once max_evals() calls are used up. */
    int (*evaluate)(void *core, double *loss);
    void *core;
} nn_optim_model;

typedef struct nn_optim_ops {
    int n_slots;            /* per-tensor state arrays the core must own (<= NN_MAX_SLOTS) */
    unsigned flags;         /* NN_OPTIM_* */
    void (*step)(const nn_value *hp, const nn_optim_step *s);
    /* ABI 2: read only when the descriptor's abi_version >= 2; NULL or 0 = unused. */
    /* Elements of slot k for a (rows, cols) tensor; NULL: rows * cols. */
    size_t (*slot_len)(const nn_value *hp, int slot, int rows, int cols);
    /* Elements of scratch for a (rows, cols) tensor; NULL: none. */
    size_t (*scratch_len)(const nn_value *hp, int rows, int cols);
    int n_scalars;          /* global scalars the core must own (<= NN_MAX_SCALARS), zeroed */
    /* Sets the scalars' starting values (after zeroing); NULL: zeros. */
    void (*scalars_init)(const nn_value *hp, nn_real *scalars);
    int n_reduce;           /* sums of the reduce pass (<= NN_MAX_REDUCE) */
    /* Adds this tensor's terms into acc (n_reduce); may update its slots.
     * s->reduced is NULL here. */
    void (*reduce)(const nn_value *hp, const nn_optim_step *s, nn_real *acc);
    /* Once per step after the reduce pass (acc is NULL without one). */
    void (*scalars_update)(const nn_value *hp, nn_real *scalars, const nn_real *acc, long t,
                           nn_real lr);
    /* Writes the point the model is evaluated at into out (n); changes
     * nothing. At step 0 it must equal param. */
    void (*eval_point)(const nn_value *hp, const nn_optim_step *s, nn_real *out);
    /* Replaces the per-tensor steps when set (step may then be NULL). */
    int (*model_step)(const nn_value *hp, const nn_optim_model *m);
    /* Most evaluate() calls one model_step makes (<= NN_MAX_EVALS); NULL: 0. */
    int (*max_evals)(const nn_value *hp);
} nn_optim_ops;

/* C = alpha * op(A) op(B) + beta * C over row-major matrices with the core's
 * BLAS (op(X) = X, or its transpose when trans_x is nonzero); C is (m, n),
 * op(A) (m, k), op(B) (k, n). For matrix rules, so that a plugin need not
 * link a BLAS of its own. */
NN_API void nn_gemm(int trans_a, int trans_b, int m, int n, int k, nn_real alpha,
                    const nn_real *A, int lda, const nn_real *B, int ldb, nn_real beta,
                    nn_real *C, int ldc);

/* ------------------------------------------------------------------------ */
/* reg: weight penalties, activation hooks, constraints.                    */

typedef struct nn_reg_tensor {
    const nn_real *w;  /* (rows, cols) row-major; a bias has cols == 1 */
    nn_real *grad;     /* add the penalty's gradient here */
    int rows, cols;
    long m;            /* examples in the batch (for 1/m conventions) */
    int layer;         /* 0-based layer index */
    int is_bias;
} nn_reg_tensor;

typedef struct nn_reg_act {
    nn_real *a;        /* forward: activations (units, m), modified in place;
                          backward: dA (units, m), modified in place */
    nn_real *mask;     /* (units, m), owned by the core, kept between the two */
    int units;
    long m;
    int layer;         /* 0-based hidden layer index */
    int n_hidden;      /* number of hidden layers */
    nn_rng *rng;       /* this regularizer's stream */
} nn_reg_act;

/* The model a regularizer's settings are checked against (validate). */
typedef struct nn_reg_model {
    int n_layers;      /* weight layers: hidden layers + 1 */
    const int *sizes;  /* (n_layers + 1): input features, hidden units..., outputs */
} nn_reg_model;

typedef struct nn_reg_ops {
    /* Penalty added to the loss for one tensor; adds d(penalty)/dw into
     * t->grad. NULL when the regularizer has no penalty. */
    nn_real (*penalty)(const nn_value *hp, const nn_reg_tensor *t);
    /* Called once at the start of every training forward pass (may be NULL). */
    void (*begin_pass)(const nn_value *hp, nn_rng *rng);
    /* Training-time hook on hidden activations; NULL when none. Evaluation
     * never calls it. backward receives the same mask. */
    void (*act_forward)(const nn_value *hp, const nn_reg_act *a);
    void (*act_backward)(const nn_value *hp, const nn_reg_act *a);
    /* Constraint applied to W (fan_out, fan_in) after every step (may be NULL). */
    void (*constrain)(const nn_value *hp, nn_real *W, int fan_out, int fan_in);
    /* ---- appended in ABI 2; the core calls it only when the descriptor's
     * abi_version >= 2 and the pointer is not NULL ---- */
    /* Checks the settings against the model before training (a list longer
     * than the layers it applies to, a hook on a model without the layers it
     * needs): NN_OK, or NN_EINPUT with the index of the parameter at fault
     * in *param (-1: none in particular) and the reason in err; the core
     * prefixes file:line: reg[i].KEY. NULL: nothing to check. */
    int (*validate)(const nn_value *hp, const nn_reg_model *m, int *param, nn_err *err);
} nn_reg_ops;

/* ------------------------------------------------------------------------ */
/* data: load train / validation / test splits.                             */

#define NN_MAX_CLASSES 1000

typedef struct nn_split {
    nn_real *X;        /* (m, d) row-major, owned by the core */
    int32_t *y;        /* (m) labels in [0, n_classes) */
    size_t m;
    uint8_t *images;   /* optional raw images (m, height, width, channels), or NULL */
} nn_split;

typedef struct nn_data {
    int d;             /* feature dimension */
    int n_classes;
    int height, width, channels; /* 0 when the data are not images */
    nn_split train, val, test;   /* val.m == 0 when there is no validation split */
    char *class_names[NN_MAX_CLASSES]; /* owned by the core; may stay NULL */
} nn_data;

typedef struct nn_data_ctx {
    const char *base_dir;  /* folder of the experiment file: relative paths start here */
    const char *config_file; /* for messages */
    nn_rng *rng;           /* this section's stream */
    uint32_t seed;         /* the seed that stream was started from */
    int threads;
    int quiet;             /* 1: no progress output */
    const char *cache_dir; /* where a plugin may cache derived data */
} nn_data_ctx;

/* Core-owned storage for a split: allocates X (m, d), y (m), and images when
 * with_images is set (uses data->height/width/channels). */
NN_API int nn_split_alloc(nn_data *data, nn_split *split, size_t m, int with_images);
/* Core-owned copy of a class name. */
NN_API int nn_data_set_class_name(nn_data *data, int k, const char *name);

typedef struct nn_data_ops {
    /* Fill *out (d, n_classes, splits via nn_split_alloc). On failure return
     * a negative code with one message in err naming the file or value. */
    int (*load)(const nn_value *hp, const nn_data_ctx *ctx, nn_data *out, nn_err *err);
} nn_data_ops;

/* ------------------------------------------------------------------------ */
/* The descriptor.                                                          */

typedef struct nn_plugin {
    int abi_version;       /* NN_ABI_VERSION: first, always */
    int real_size;         /* sizeof(nn_real) the plugin was compiled with */
    nn_kind kind;
    const char *name;      /* [a-z0-9_]+, equal to the file name */
    const char *doc;       /* one line */
    int n_params;
    const nn_param_decl *params;
    union {
        const nn_init_ops *init;
        const nn_optim_ops *optim;
        const nn_reg_ops *reg;
        const nn_data_ops *data;
    } ops;
} nn_plugin;

typedef const nn_plugin *(*nn_plugin_entry)(void);

/* Defines the single exported entry symbol. */
#define NN_PLUGIN(desc)                                                        \
    NN_EXPORT const nn_plugin *nnlab_plugin(void);                             \
    NN_EXPORT const nn_plugin *nnlab_plugin(void) { return &(desc); }

#define NN_ARRAY_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

#ifdef __cplusplus
}
#endif
#endif
