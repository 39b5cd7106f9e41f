/* model.h: the multilayer perceptron. Parameters live in one flat buffer
 * (W1, b1, W2, b2, ...) so optimizers, checkpoints and the gradient checker
 * see plain arrays. Activations are (units, batch), as in the course notebooks.
 * Forward and backward allocate nothing. */
#ifndef NN_MODEL_H
#define NN_MODEL_H

#include "nnlab/plugin.h"
#include "options.h" /* nn_act */

#define NN_MAX_LAYERS 16

/* The output layer and its loss, resolved from model.output. */
typedef enum { NN_OUT_SIGMOID, NN_OUT_SOFTMAX } nn_out;

typedef struct nn_model_spec {
    int n_layers;               /* weight layers */
    int sizes[NN_MAX_LAYERS + 1]; /* sizes[0] = input features, sizes[n_layers] = outputs */
    nn_act act;
    nn_real leaky_slope;
    nn_out out;
    long batch_cap;             /* largest batch forward/backward will see */
} nn_model_spec;

/* A training-time activation hook (a regularizer such as dropout). */
typedef struct nn_act_hook {
    const nn_reg_ops *ops;
    const nn_value *hp;
    nn_rng *rng;
    nn_real *mask[NN_MAX_LAYERS]; /* per hidden layer, (units, batch_cap) */
} nn_act_hook;

typedef struct nn_tensor {
    size_t off, n;              /* offset into theta / grad */
    int rows, cols, layer, is_bias;
    char name[8];               /* "W1", "b1", ... */
} nn_tensor;

typedef struct nn_model {
    nn_model_spec spec;
    size_t n_params;
    nn_real *theta;             /* (n_params) */
    nn_real *grad;              /* (n_params) */
    int n_tensors;
    nn_tensor tensors[2 * NN_MAX_LAYERS];
    nn_real *Z[NN_MAX_LAYERS];  /* pre-activations (units, batch_cap) */
    nn_real *A[NN_MAX_LAYERS];  /* activations (units, batch_cap) */
    nn_real *G[NN_MAX_LAYERS];  /* tanh, sigmoid: act'(Z) of the last training forward (hidden layers) */
    nn_real *dA, *dZ;           /* scratch (max units, batch_cap) */
    nn_real *Xb;                /* gathered input batch (features, batch_cap) */
    int32_t *yb;                /* gathered labels (batch_cap) */
    struct {                    /* the rows Xb/yb hold when gathered in order: X's rows
                                   [start, start + mb) with labels y (mb 0: none known) */
        const nn_real *X;
        const int32_t *y;
        int d;
        size_t start;
        long mb;
    } held;
    int n_hooks;
    nn_act_hook hooks[8];
    nn_real *mask_store;        /* owns every hook mask */
    /* skip_z (set by the trainer): a training forward without hooks may leave
     * Z of a small ReLU (or leaky, slope >= 0) hidden layer unwritten, its
     * backward taking the signs from A (A > 0 exactly where Z > 0); which
     * layers the last forward left so: z_skipped (nn_model_fill_z writes them) */
    int skip_z;
    unsigned char z_skipped[NN_MAX_LAYERS];
} nn_model;

int nn_model_create(nn_model *m, const nn_model_spec *spec, nn_err *err);
/* Writes the Z the last forward over mb examples left unwritten (skip_z),
 * by an evaluation forward at the same parameters and batch: the same Z
 * and A (for the diagnostics of a diverged step). */
void nn_model_fill_z(nn_model *m, long mb);
void nn_model_free(nn_model *m);
/* Allocates masks for an activation hook (call before training). */
int nn_model_add_hook(nn_model *m, const nn_reg_ops *ops, const nn_value *hp, nn_rng *rng, nn_err *err);

nn_real *nn_model_W(const nn_model *m, int layer);
nn_real *nn_model_b(const nn_model *m, int layer);

/* Copies examples idx[0..mb) of X (m, d) into m->Xb (d, mb) and y into m->yb.
 * When idx is the run of rows that Xb already holds (m->held: a full batch,
 * every step), nothing is copied: X and y must not change while the model
 * holds their rows, and whatever else writes Xb or yb calls
 * nn_model_batch_changed first. */
void nn_model_gather(nn_model *m, const nn_real *X, const int32_t *y, int d,
                     const int64_t *idx, long mb);
/* Copies rows [start, start+mb) without an index (the same rule). */
void nn_model_gather_range(nn_model *m, const nn_real *X, const int32_t *y, int d,
                           size_t start, long mb);
/* Xb/yb are about to be written other than by the two above. */
void nn_model_batch_changed(nn_model *m);

/* Forward on m->Xb/m->yb (mb examples). training: run activation hooks and
 * keep what backward needs (the activations' derivatives, the output layer's
 * gradient in m->dZ). Returns the summed (not averaged) data loss. */
double nn_model_forward(nn_model *m, long mb, int training);
/* Backward after a training forward (nothing else may run in between):
 * writes the gradient of the mean batch loss into m->grad (overwriting). */
void nn_model_backward(nn_model *m, long mb, int training);
/* The products of one training step as the model computes them (BLAS, or
 * smallgemm.h's kernels for small layers): every layer's forward product and
 * weight gradient, every layer's but the first's input gradient, without the
 * elementwise work, on whatever Xb, Z and dZ hold (overwriting the model's
 * buffers). nnlab bench times it as "the model's GEMMs". */
void nn_model_products(nn_model *m, long mb);
/* The same products one at a time, i < nn_model_n_products (3 layers - 1),
 * in nn_model_products' order: every layer's forward product, then from the
 * last layer down its weight gradient and, but for the first, its input
 * gradient. The shape: op(A) (M x K) times B (K x N), and a name such as
 * "W2 input gradient" (the weights the product is of). */
int nn_model_n_products(const nn_model *m);
void nn_model_product_shape(const nn_model *m, long mb, int i, int *M, int *N, int *K, char *name,
                            size_t n);
void nn_model_product(nn_model *m, long mb, int i);
/* Output probabilities after forward: for sigmoid P(y=1) per example, for
 * softmax the argmax class. Writes predicted labels into pred (mb). */
void nn_model_predict_batch(const nn_model *m, long mb, int32_t *pred);

/* After forward: how many of the mb predictions equal m->yb. */
long nn_model_count_correct(const nn_model *m, long mb);

/* Loss (mean) and accuracy over a whole split, in batches. */
typedef struct nn_eval {
    double loss;
    double accuracy;
} nn_eval;
nn_eval nn_model_evaluate(nn_model *m, const nn_real *X, const int32_t *y, size_t n, int d);

#endif
