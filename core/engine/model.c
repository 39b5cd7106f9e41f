/* model.c: MLP forward and backward over batches with BLAS; stable losses
 * from pre-activations (softplus, log-sum-exp). After each GEMM one pass does
 * all the elementwise work of a layer (bias, activation, its derivative; the
 * loss and the output gradient), with the operations of each element in the
 * order of the plain formulas, so the results are those of separate passes;
 * for small layers (smallgemm.h) and, on AVX-512 CPUs, large ones
 * (packgemm.h) the hidden layers' passes are done at the stores of the
 * products themselves, with the same operations. */
#include "model.h"
#include "packgemm.h"
#include "smallgemm.h"
#include "vmath.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nn_real *nn_model_W(const nn_model *m, int layer) { return m->theta + m->tensors[2 * layer].off; }
nn_real *nn_model_b(const nn_model *m, int layer) { return m->theta + m->tensors[2 * layer + 1].off; }

static void add_tensor(nn_model *m, size_t *off, int rows, int cols, int layer, int is_bias)
{
    nn_tensor *t = &m->tensors[m->n_tensors++];
    t->off = *off;
    t->n = (size_t)rows * (size_t)cols;
    t->rows = rows;
    t->cols = cols;
    t->layer = layer;
    t->is_bias = is_bias;
    snprintf(t->name, sizeof t->name, "%c%d", is_bias ? 'b' : 'W', layer + 1);
    *off += t->n;
}

/* Zeroed and on a 64-byte boundary (a cache line; a 512-bit vector): the
 * products' rows then start on lines where the batch allows it. free()d. */
static void *zalloc(size_t n, size_t size)
{
    void *p = NULL;
    if (n > SIZE_MAX / size || posix_memalign(&p, 64, n * size > 0 ? n * size : 1))
        return NULL;
    memset(p, 0, n * size);
    return p;
}

int nn_model_create(nn_model *m, const nn_model_spec *spec, nn_err *err)
{
    memset(m, 0, sizeof *m);
    m->spec = *spec;
    int L = spec->n_layers;
    if (L < 1 || L > NN_MAX_LAYERS || spec->batch_cap < 1)
        return nn_err_set(err, NN_EINPUT, "model: %d layers (1..%d allowed)", L, NN_MAX_LAYERS);
    size_t off = 0, maxu = (size_t)spec->sizes[0];
    for (int l = 0; l < L; l++) {
        add_tensor(m, &off, spec->sizes[l + 1], spec->sizes[l], l, 0);
        add_tensor(m, &off, spec->sizes[l + 1], 1, l, 1);
        if ((size_t)spec->sizes[l + 1] > maxu)
            maxu = (size_t)spec->sizes[l + 1];
    }
    m->n_params = off;
    size_t cap = (size_t)spec->batch_cap;
    m->theta = zalloc(off, sizeof(nn_real));
    m->grad = zalloc(off, sizeof(nn_real));
    m->dA = zalloc(maxu * cap, sizeof(nn_real));
    m->dZ = zalloc(maxu * cap, sizeof(nn_real));
    m->Xb = zalloc((size_t)spec->sizes[0] * cap, sizeof(nn_real));
    m->yb = zalloc(cap, sizeof(int32_t));
    int ok = m->theta && m->grad && m->dA && m->dZ && m->Xb && m->yb;
    for (int l = 0; l < L && ok; l++) {
        m->Z[l] = zalloc((size_t)spec->sizes[l + 1] * cap, sizeof(nn_real));
        m->A[l] = zalloc((size_t)spec->sizes[l + 1] * cap, sizeof(nn_real));
        ok = m->Z[l] && m->A[l];
        if (ok && l + 1 < L && (spec->act == NN_ACT_TANH || spec->act == NN_ACT_SIGMOID)) {
            m->G[l] = zalloc((size_t)spec->sizes[l + 1] * cap, sizeof(nn_real));
            ok = m->G[l] != NULL;
        }
    }
    if (!ok) {
        nn_model_free(m);
        return nn_err_set(err, NN_ENOMEM, "model: out of memory (%zu parameters, batch %ld)", off,
                          spec->batch_cap);
    }
    return NN_OK;
}

void nn_model_free(nn_model *m)
{
    free(m->theta);
    free(m->grad);
    free(m->dA);
    free(m->dZ);
    free(m->Xb);
    free(m->yb);
    free(m->mask_store);
    for (int l = 0; l < NN_MAX_LAYERS; l++) {
        free(m->Z[l]);
        free(m->A[l]);
        free(m->G[l]);
    }
    memset(m, 0, sizeof *m);
}

int nn_model_add_hook(nn_model *m, const nn_reg_ops *ops, const nn_value *hp, nn_rng *rng, nn_err *err)
{
    if (m->n_hooks >= 8)
        return nn_err_set(err, NN_EINPUT, "at most 8 activation regularizers");
    size_t per = 0, cap = (size_t)m->spec.batch_cap;
    for (int l = 0; l + 1 < m->spec.n_layers; l++)
        per += (size_t)m->spec.sizes[l + 1] * cap;
    /* One block for all hooks: grow by reallocating and re-pointing. */
    size_t old = 0;
    for (int h = 0; h < m->n_hooks; h++)
        old += per;
    nn_real *store = realloc(m->mask_store, (old + per + 1) * sizeof(nn_real));
    if (!store)
        return nn_err_set(err, NN_ENOMEM, "out of memory for activation masks");
    m->mask_store = store;
    m->n_hooks++;
    m->hooks[m->n_hooks - 1] = (nn_act_hook){.ops = ops, .hp = hp, .rng = rng};
    size_t o = 0;
    for (int h = 0; h < m->n_hooks; h++)
        for (int l = 0; l + 1 < m->spec.n_layers; l++) {
            m->hooks[h].mask[l] = store + o;
            o += (size_t)m->spec.sizes[l + 1] * cap;
        }
    memset(store + old, 0, per * sizeof(nn_real));
    return NN_OK;
}

/* Copies rows[0..mb) (each d values) into the columns of m->Xb (d, mb), 8
 * columns at a time so that every write run fills contiguous memory. */
enum { GATHER_BLOCK = 8 };

static void gather_block(nn_real *Xb, long mb, long j0, const nn_real *const *rows, long nb, int d)
{
    for (int f = 0; f < d; f++) {
        nn_real *dst = Xb + (size_t)f * (size_t)mb + (size_t)j0;
        for (long jj = 0; jj < nb; jj++)
            dst[jj] = rows[jj][f];
    }
}

void nn_model_batch_changed(nn_model *m) { m->held.mb = 0; }

/* 1 when Xb/yb already hold rows [start, start + mb) of X, y in order. */
static int holds(const nn_model *m, const nn_real *X, const int32_t *y, int d, size_t start, long mb)
{
    return m->held.mb == mb && m->held.X == X && m->held.y == y && m->held.d == d &&
           m->held.start == start;
}

static void now_holds(nn_model *m, const nn_real *X, const int32_t *y, int d, size_t start, long mb)
{
    m->held.X = X;
    m->held.y = y;
    m->held.d = d;
    m->held.start = start;
    m->held.mb = mb;
}

void nn_model_gather(nn_model *m, const nn_real *X, const int32_t *y, int d,
                     const int64_t *idx, long mb)
{
    if (mb > 0 && idx[0] >= 0 && holds(m, X, y, d, (size_t)idx[0], mb)) {
        /* in order? (no early exit: a loop GCC vectorises) */
        int64_t off = 0;
        for (long j = 0; j < mb; j++)
            off |= idx[j] ^ (idx[0] + j);
        if (off == 0)
            return;
    }
    const nn_real *rows[GATHER_BLOCK];
    int in_order = mb > 0;
    for (long j0 = 0; j0 < mb; j0 += GATHER_BLOCK) {
        long nb = mb - j0 < GATHER_BLOCK ? mb - j0 : GATHER_BLOCK;
        for (long jj = 0; jj < nb; jj++) {
            rows[jj] = X + (size_t)idx[j0 + jj] * (size_t)d;
            m->yb[j0 + jj] = y[idx[j0 + jj]];
            in_order &= idx[j0 + jj] == idx[0] + j0 + jj;
        }
        gather_block(m->Xb, mb, j0, rows, nb, d);
    }
    if (in_order)
        now_holds(m, X, y, d, (size_t)idx[0], mb);
    else
        nn_model_batch_changed(m);
}

void nn_model_gather_range(nn_model *m, const nn_real *X, const int32_t *y, int d,
                           size_t start, long mb)
{
    if (holds(m, X, y, d, start, mb))
        return;
    const nn_real *rows[GATHER_BLOCK];
    for (long j0 = 0; j0 < mb; j0 += GATHER_BLOCK) {
        long nb = mb - j0 < GATHER_BLOCK ? mb - j0 : GATHER_BLOCK;
        for (long jj = 0; jj < nb; jj++) {
            rows[jj] = X + (start + (size_t)(j0 + jj)) * (size_t)d;
            m->yb[j0 + jj] = y[start + (size_t)(j0 + jj)];
        }
        gather_block(m->Xb, mb, j0, rows, nb, d);
    }
    if (mb > 0)
        now_holds(m, X, y, d, start, mb);
    else
        nn_model_batch_changed(m);
}

/* One pass over a hidden layer after its GEMM: Z (out, mb) += b, A = act(Z),
 * and with G (a training pass with tanh or sigmoid) G = act'(Z), so that
 * backward does not evaluate tanh or exp again. The switch is outside the
 * loops; per element the operations are those of the unfused form. */
static void row_relu(nn_real *restrict z, nn_real *restrict a, nn_real bo, long mb)
{
    for (long j = 0; j < mb; j++) {
        nn_real v = z[j] + bo;
        z[j] = v;
        a[j] = v > 0 ? v : 0;
    }
}

static void row_leaky(nn_real *restrict z, nn_real *restrict a, nn_real bo, long mb, nn_real slope)
{
    for (long j = 0; j < mb; j++) {
        nn_real v = z[j] + bo, w = slope * v;
        z[j] = v;
        a[j] = v > 0 ? v : w;
    }
}

static void bias_activate(const nn_model_spec *s, nn_real *Z, nn_real *A, nn_real *G,
                          const nn_real *b, int out, long mb)
{
    const nn_real one = 1;
    for (int o = 0; o < out; o++) {
        size_t off = (size_t)o * (size_t)mb;
        nn_real *z = Z + off, *a = A + off, bo = b[o];
        switch (s->act) {
        case NN_ACT_RELU:
            row_relu(z, a, bo, mb);
            break;
        case NN_ACT_LEAKY_RELU:
            row_leaky(z, a, bo, mb, s->leaky_slope);
            break;
        case NN_ACT_TANH:
            for (long j = 0; j < mb; j++) {
                nn_real v = z[j] + bo, t = tanh(v);
                z[j] = v;
                a[j] = t;
                if (G)
                    G[off + (size_t)j] = one - t * t;
            }
            break;
        case NN_ACT_SIGMOID:
            for (long j = 0; j < mb; j++) {
                nn_real v = z[j] + bo, sg = 1.0 / (1.0 + exp(-v));
                z[j] = v;
                a[j] = sg;
                if (G)
                    G[off + (size_t)j] = sg * (one - sg);
            }
            break;
        }
    }
}

/* d = d * g in place for one row (da in, dz out), g = act'(z) from the sign
 * of z (ReLU: 1 or 0, leaky: 1 or slope) or from the derivative kept by
 * forward (gk != NULL); restrict lets GCC make these branch-free vector loops. */
static void row_backward(const nn_real *restrict z, const nn_real *restrict gk,
                         nn_real *restrict d, long mb, nn_real neg)
{
    const nn_real one = 1;
    if (gk) {
        for (long j = 0; j < mb; j++)
            d[j] = d[j] * gk[j];
        return;
    }
    for (long j = 0; j < mb; j++) {
        nn_real g = z[j] > 0 ? one : neg;
        d[j] = d[j] * g;
    }
}

/* db[o] = the sum of row o of D (rows, mb), o < rows, each row summed in
 * column order from 0. One row's sum is a chain of dependent adds, so
 * ROW_SUM_BLOCK rows are summed side by side: the same sums, several adds in
 * flight instead of one. */
enum { ROW_SUM_BLOCK = 8 };

static void row_sums(const nn_real *D, long mb, int rows, nn_real *db)
{
    int o = 0;
    for (; o + ROW_SUM_BLOCK <= rows; o += ROW_SUM_BLOCK) {
        const nn_real *d0 = D + (size_t)o * (size_t)mb, *d1 = d0 + mb, *d2 = d1 + mb,
                      *d3 = d2 + mb, *d4 = d3 + mb, *d5 = d4 + mb, *d6 = d5 + mb, *d7 = d6 + mb;
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (long j = 0; j < mb; j++) {
            a0 += d0[j];
            a1 += d1[j];
            a2 += d2[j];
            a3 += d3[j];
            a4 += d4[j];
            a5 += d5[j];
            a6 += d6[j];
            a7 += d7[j];
        }
        db[o] = a0;
        db[o + 1] = a1;
        db[o + 2] = a2;
        db[o + 3] = a3;
        db[o + 4] = a4;
        db[o + 5] = a5;
        db[o + 6] = a6;
        db[o + 7] = a7;
    }
    for (; o < rows; o++) {
        const nn_real *d = D + (size_t)o * (size_t)mb;
        double acc = 0;
        for (long j = 0; j < mb; j++)
            acc += d[j];
        db[o] = acc;
    }
}

/* One pass over a hidden layer in backward: dZ = dA * act'(Z) (act' from G
 * for tanh and sigmoid, from Z for the ReLUs), written over dA, and, with db,
 * the row sums of dZ, accumulated in column order as a separate pass over dZ
 * would; a block of rows at a time, so that its sums read it from cache. */
static void activate_backward(const nn_model *m, int l, nn_real *dZ, nn_real *db, int units,
                              long mb)
{
    nn_real neg = m->spec.act == NN_ACT_LEAKY_RELU ? m->spec.leaky_slope : 0;
    for (int o0 = 0; o0 < units; o0 += ROW_SUM_BLOCK) {
        int nb = units - o0 < ROW_SUM_BLOCK ? units - o0 : ROW_SUM_BLOCK;
        for (int o = o0; o < o0 + nb; o++) {
            size_t off = (size_t)o * (size_t)mb;
            row_backward(m->Z[l] + off, m->G[l] ? m->G[l] + off : NULL, dZ + off, mb, neg);
        }
        if (db)
            row_sums(dZ + (size_t)o0 * (size_t)mb, mb, nb, db + o0);
    }
}

/* The products of a layer: BLAS; for small layers (smallgemm.h) the
 * model's own, whose weight and bias gradients sum in their lane order; for
 * large ones on an AVX-512 CPU (packgemm.h) the model's own packed kernels,
 * each element a chain over k in order (the bias gradients as BLAS layers'). */
#if NN_SMALL_GEMM
static int small_layer(long out, long in, long mb) { return nn_small_gemm_ok(out, in, mb); }
#else
static int small_layer(long out, long in, long mb) { return (void)out, (void)in, (void)mb, 0; }
#endif

/* 1 when the weight gradient of a layer (out, in) sums its bias gradient
 * too: a small layer's (in its lane order), or a large one's on the packed
 * kernels (reading dZ as it packs it, in column order as row_sums). */
static int sums_with_weight_grad(long out, long in, long mb)
{
#if NN_PACK_GEMM
    if (!small_layer(out, in, mb) && nn_pack_gemm_ok(1, out, in, mb) &&
        out >= NN_PACK_DOT_ROWS && out <= NN_PACK_ROWSUM_MAX)
        return 1;
#endif
    return small_layer(out, in, mb);
}

/* Z (out, mb) = W (out, in) A (in, mb); the bias is added by the pass after. */
static void linear_forward(nn_real *Z, const nn_real *W, const nn_real *A, int out, int in, long mb)
{
#if NN_SMALL_GEMM
    if (nn_small_gemm_ok(out, mb, in)) {
        nn_small_nn(out, (int)mb, in, W, in, A, (int)mb, Z, (int)mb);
        return;
    }
#endif
#if NN_PACK_GEMM
    if (nn_pack_gemm_ok(0, out, mb, in)) {
        nn_pack_gemm(0, 0, out, (int)mb, in, W, in, A, (int)mb, Z, (int)mb);
        return;
    }
#endif
    nn_gemm(0, 0, out, (int)mb, in, 1, W, in, A, (int)mb, 0, Z, (int)mb);
}

/* dW (out, in) = dZ (out, mb) Ain^T (mb, in); with db (sums_with_weight_grad),
 * db = dZ's row sums. */
static void weight_grad(nn_real *dW, nn_real *db, const nn_real *dZ, const nn_real *Ain, int out,
                        int in, long mb)
{
#if NN_SMALL_GEMM
    if (small_layer(out, in, mb)) {
        nn_small_nt_rowsum(out, in, (int)mb, dZ, (int)mb, Ain, (int)mb, dW, in, db);
        return;
    }
#endif
#if NN_PACK_GEMM
    if (nn_pack_gemm_ok(1, out, in, mb)) {
        nn_pack_epilogue e = {.rowsum = db};
        nn_pack_gemm_ep(0, 1, out, in, (int)mb, dZ, (int)mb, Ain, (int)mb, dW, in, db ? &e : NULL);
        return;
    }
#endif
    nn_gemm(0, 1, out, in, (int)mb, 1, dZ, (int)mb, Ain, (int)mb, 0, dW, in);
}

/* dA (in, mb) = W^T (in, out) dZ (out, mb) */
static void input_grad(nn_real *dA, const nn_real *W, const nn_real *dZ, int out, int in, long mb)
{
#if NN_SMALL_GEMM
    if (nn_small_gemm_ok(in, mb, out)) {
        nn_small_tn(in, (int)mb, out, W, in, dZ, (int)mb, dA, (int)mb);
        return;
    }
#endif
#if NN_PACK_GEMM
    if (nn_pack_gemm_ok(0, in, mb, out)) {
        nn_pack_gemm(1, 0, in, (int)mb, out, W, in, dZ, (int)mb, dA, (int)mb);
        return;
    }
#endif
    nn_gemm(1, 0, in, (int)mb, out, 1, W, in, dZ, (int)mb, 0, dA, (int)mb);
}

/* A hidden layer forward: Z = W Ain + b, A = act(Z) (and G). For a small
 * or (on an AVX-512 CPU) a large ReLU or leaky ReLU layer the elementwise
 * pass is done at the product's store (nn_small_nn_act, nn_pack_gemm_ep:
 * per element the operations of bias_activate). */
static void hidden_forward(const nn_model_spec *s, int l, nn_real *Z, nn_real *A, nn_real *G,
                           const nn_real *W, const nn_real *b, const nn_real *Ain, long mb,
                           int skip_z)
{
    int out = s->sizes[l + 1], in = s->sizes[l];
#if NN_SMALL_GEMM
    if ((s->act == NN_ACT_RELU || s->act == NN_ACT_LEAKY_RELU) && nn_small_gemm_ok(out, mb, in)) {
        nn_small_nn_act(out, (int)mb, in, W, in, Ain, (int)mb, b, s->act == NN_ACT_LEAKY_RELU,
                        s->leaky_slope, skip_z ? NULL : Z, A, (int)mb);
        return;
    }
#endif
    (void)skip_z;
#if NN_PACK_GEMM
    if ((s->act == NN_ACT_RELU || s->act == NN_ACT_LEAKY_RELU) && nn_pack_gemm_ok(0, out, mb, in)) {
        nn_pack_epilogue e = {.kind = s->act == NN_ACT_LEAKY_RELU ? NN_PACK_LEAKY : NN_PACK_RELU,
                              .bias = b, .act = A, .slope = s->leaky_slope};
        nn_pack_gemm_ep(0, 0, out, (int)mb, in, W, in, Ain, (int)mb, Z, (int)mb, &e);
        return;
    }
#endif
    linear_forward(Z, W, Ain, out, in, mb);
    bias_activate(s, Z, A, G, b, out, mb);
}

/* dZ (in, mb) of hidden layer l - 1 from the dZ (out, mb) of layer l, the
 * input gradient and activate_backward's product in one pass (without
 * hooks between them), for small layers and (AVX-512) large ones; 0 when
 * not done. */
static int hidden_backward(const nn_model *m, int l, nn_real *dZp, const nn_real *dZ, long mb)
{
    int out = m->spec.sizes[l + 1], in = m->spec.sizes[l];
    nn_real neg = m->spec.act == NN_ACT_LEAKY_RELU ? m->spec.leaky_slope : 0;
#if NN_SMALL_GEMM
    if (nn_small_gemm_ok(in, mb, out)) {
        /* the signs from A where forward left Z unwritten (skips_z) */
        const nn_real *z = m->z_skipped[l - 1] ? m->A[l - 1] : m->Z[l - 1];
        nn_small_tn_dact(in, (int)mb, out, nn_model_W(m, l), in, dZ, (int)mb, z, m->G[l - 1], neg,
                         dZp, (int)mb);
        return 1;
    }
#endif
#if NN_PACK_GEMM
    if (nn_pack_gemm_ok(0, in, mb, out)) {
        const nn_real *G = m->G[l - 1];
        nn_pack_epilogue e = {.kind = G ? NN_PACK_DKEPT : NN_PACK_DSIGN, .g = G ? G : m->Z[l - 1],
                              .slope = neg};
        nn_pack_gemm_ep(1, 0, in, (int)mb, out, nn_model_W(m, l), in, dZ, (int)mb, dZp, (int)mb,
                        &e);
        return 1;
    }
#endif
    return (void)m, (void)l, (void)dZp, (void)dZ, (void)mb, (void)out, (void)in, (void)neg, 0;
}

/* Examples of a sigmoid output whose terms go through one
 * nn_sigmoid_terms call (vmath.h): a block on the stack, no allocation. */
enum { LOSS_BLOCK = 64 };

/* The sigmoid output's loss over mb examples, and with dZ its gradient
 * (a - y) / mb, a = 1 / (1 + exp(-z)): per example nn_sigmoid_terms
 * (vmath.h: nnlab's own exp and log1p), the loss softplus(z) - y z.
 * The examples' losses are summed in LOSS_LANES partial sums, lane l
 * taking examples l, l + 4, ... below mb - mb % 4 in order, added as
 * (s0 + s2) + (s1 + s3), then the last mb % 4 in order (smallgemm.h's
 * order for the bias sums): no chain of mb dependent additions. */
enum { LOSS_LANES = 4 }; /* s0 .. s3 below */

static double sigmoid_pass(const nn_model *m, const nn_real *ZL, long mb, nn_real *dZ)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0, last[LOSS_LANES], inv = 1.0 / (double)mb;
    long mv = mb - mb % LOSS_LANES;
    for (long j0 = 0; j0 < mb; j0 += LOSS_BLOCK) {
        long nb = mb - j0 < LOSS_BLOCK ? mb - j0 : LOSS_BLOCK;
        double e[LOSS_BLOCK];
        nn_real g[LOSS_BLOCK]; /* the gradient, where dZ is NULL */
        nn_sigmoid_terms(ZL + j0, m->yb + j0, nb, inv, dZ ? dZ + j0 : g, e);
        /* LOSS_BLOCK is a multiple of LOSS_LANES, so the lanes go on across
         * blocks; only the last block has examples past mv */
        long jv = mv - j0 < nb ? mv - j0 : nb;
        for (long j = 0; j < jv; j += LOSS_LANES) {
            s0 += e[j];
            s1 += e[j + 1];
            s2 += e[j + 2];
            s3 += e[j + 3];
        }
        for (long j = jv; j < nb; j++)
            last[j - jv] = e[j];
    }
    double sum = (s0 + s2) + (s1 + s3);
    for (long j = mv; j < mb; j++)
        sum += last[j - mv];
    return sum;
}

/* The output layer in one pass: ZL (K, mb) += b, the summed loss against the
 * labels, and with dZ (a training pass) the gradient of the mean loss with
 * respect to ZL, (p - y) / mb, from the same exponentials. */
static double output_pass(const nn_model *m, nn_real *ZL, const nn_real *b, long mb, nn_real *dZ)
{
    double sum = 0, inv = 1.0 / (double)mb;
    int K = m->spec.sizes[m->spec.n_layers];
    for (int k = 0; k < K; k++)
        for (long j = 0; j < mb; j++)
            ZL[(size_t)k * (size_t)mb + (size_t)j] += b[k];
    if (m->spec.out == NN_OUT_SIGMOID)
        return sigmoid_pass(m, ZL, mb, dZ);
    for (long j = 0; j < mb; j++) {
        double mx = -INFINITY, s = 0;
        for (int k = 0; k < K; k++)
            mx = fmax(mx, ZL[(size_t)k * (size_t)mb + (size_t)j]);
        for (int k = 0; k < K; k++) {
            size_t i = (size_t)k * (size_t)mb + (size_t)j;
            double e = exp(ZL[i] - mx);
            s += e;
            if (dZ)
                dZ[i] = e;
        }
        sum += mx + log(s) - ZL[(size_t)m->yb[j] * (size_t)mb + (size_t)j];
        for (int k = 0; dZ && k < K; k++) {
            size_t i = (size_t)k * (size_t)mb + (size_t)j;
            double p = dZ[i] / s;
            dZ[i] = inv * (p - (k == m->yb[j] ? 1.0 : 0.0));
        }
    }
    return sum;
}

/* 1 when a training forward leaves Z of hidden layer l unwritten (the
 * model's skip_z): no hooks (their backward pass reads Z), the layer's
 * forward and its backward (hidden_backward of layer l + 1) on the small
 * fused products, and an activation whose A > 0 exactly where Z > 0: ReLU
 * (max(z, 0): +0 for z = -0 and NaN) or the leaky ReLU with slope >= 0
 * (slope * z <= 0 for z <= 0, NaN for NaN). */
static int skips_z(const nn_model *m, int l, long mb)
{
#if NN_SMALL_GEMM
    const nn_model_spec *s = &m->spec;
    if (!m->skip_z || m->n_hooks || l + 1 >= s->n_layers)
        return 0;
    if (!(s->act == NN_ACT_RELU || (s->act == NN_ACT_LEAKY_RELU && !(s->leaky_slope < 0))))
        return 0;
    return nn_small_gemm_ok(s->sizes[l + 1], mb, s->sizes[l]) &&
           nn_small_gemm_ok(s->sizes[l + 1], mb, s->sizes[l + 2]);
#else
    return (void)m, (void)l, (void)mb, 0;
#endif
}

double nn_model_forward(nn_model *m, long mb, int training)
{
    const nn_model_spec *s = &m->spec;
    int L = s->n_layers;
    const nn_real *Ain = m->Xb;
    for (int h = 0; training && h < m->n_hooks; h++)
        if (m->hooks[h].ops->begin_pass)
            m->hooks[h].ops->begin_pass(m->hooks[h].hp, m->hooks[h].rng);
    for (int l = 0; l + 1 < L; l++) {
        int out = s->sizes[l + 1];
        m->z_skipped[l] = (unsigned char)(training && skips_z(m, l, mb));
        hidden_forward(s, l, m->Z[l], m->A[l], training ? m->G[l] : NULL, nn_model_W(m, l),
                       nn_model_b(m, l), Ain, mb, m->z_skipped[l]);
        for (int h = 0; training && h < m->n_hooks; h++) {
            nn_reg_act a = {m->A[l], m->hooks[h].mask[l], out, mb, l, L - 1, m->hooks[h].rng};
            m->hooks[h].ops->act_forward(m->hooks[h].hp, &a);
        }
        Ain = m->A[l];
    }
    linear_forward(m->Z[L - 1], nn_model_W(m, L - 1), Ain, s->sizes[L], s->sizes[L - 1], mb);
    return output_pass(m, m->Z[L - 1], nn_model_b(m, L - 1), mb, training ? m->dZ : NULL);
}

void nn_model_fill_z(nn_model *m, long mb)
{
    for (int l = 0; l + 1 < m->spec.n_layers; l++)
        if (m->z_skipped[l]) {
            nn_model_forward(m, mb, 0);
            return;
        }
}

void nn_model_backward(nn_model *m, long mb, int training)
{
    const nn_model_spec *s = &m->spec;
    int L = s->n_layers;
    nn_real *dZ = m->dZ, *dA = m->dA;
    /* dZ of the output layer: written by the training forward pass; the bias
     * gradients of BLAS layers are summed here in column order, those of
     * small and packed layers by weight_grad (sums_with_weight_grad) */
    int K = s->sizes[L];
    if (!sums_with_weight_grad(K, s->sizes[L - 1], mb))
        row_sums(dZ, mb, K, m->grad + m->tensors[2 * L - 1].off);
    for (int l = L - 1; l >= 0; l--) {
        int out = s->sizes[l + 1], in = s->sizes[l];
        const nn_real *Ain = l ? m->A[l - 1] : m->Xb;
        nn_real *db = m->grad + m->tensors[2 * l + 1].off;
        weight_grad(m->grad + m->tensors[2 * l].off, sums_with_weight_grad(out, in, mb) ? db : NULL,
                    dZ, Ain, out, in, mb);
        if (l == 0)
            break;
        nn_real *dbp = m->grad + m->tensors[2 * l - 1].off;
        int sums_later = sums_with_weight_grad(in, s->sizes[l - 1], mb);
        if (!(training && m->n_hooks) && hidden_backward(m, l, dA, dZ, mb)) {
            /* dZ of layer l - 1 in dA; a BLAS layer's bias gradient as activate_backward's */
            if (!sums_later)
                row_sums(dA, mb, in, dbp);
            nn_real *t = dZ;
            dZ = dA;
            dA = t;
            continue;
        }
        input_grad(dA, nn_model_W(m, l), dZ, out, in, mb);
        for (int h = m->n_hooks - 1; training && h >= 0; h--) {
            nn_reg_act a = {dA, m->hooks[h].mask[l - 1], in, mb, l - 1, L - 1, m->hooks[h].rng};
            m->hooks[h].ops->act_backward(m->hooks[h].hp, &a);
        }
        /* dZ of layer l - 1 over dA and, for a BLAS layer, its bias gradient, in
         * one pass (small and packed layers sum theirs with their weight
         * gradient); the other buffer takes the next dA */
        activate_backward(m, l - 1, dA, sums_later ? NULL : dbp, in, mb);
        nn_real *t = dZ;
        dZ = dA;
        dA = t;
    }
}

int nn_model_n_products(const nn_model *m) { return 3 * m->spec.n_layers - 1; }

/* Product i: its layer, and its kind (0 forward, 1 weight gradient, 2 input gradient). */
static int product_of(const nn_model *m, int i, int *kind)
{
    int L = m->spec.n_layers, j = i - L;
    if (i < L) {
        *kind = 0;
        return i;
    }
    *kind = j % 2 ? 2 : 1;
    return L - 1 - j / 2;
}

void nn_model_product_shape(const nn_model *m, long mb, int i, int *M, int *N, int *K, char *name,
                            size_t n)
{
    static const char *const kinds[] = {"forward", "weight gradient", "input gradient"};
    int kind, l = product_of(m, i, &kind), out = m->spec.sizes[l + 1], in = m->spec.sizes[l];
    *M = kind == 2 ? in : out;
    *N = kind == 1 ? in : (int)mb;
    *K = kind == 0 ? in : kind == 1 ? (int)mb : out;
    snprintf(name, n, "W%d %s", l + 1, kinds[kind]);
}

void nn_model_product(nn_model *m, long mb, int i)
{
    const nn_model_spec *s = &m->spec;
    int kind, l = product_of(m, i, &kind), out = s->sizes[l + 1], in = s->sizes[l];
    const nn_real *Ain = l ? m->Z[l - 1] : m->Xb;
    if (kind == 0)
        linear_forward(m->Z[l], nn_model_W(m, l), Ain, out, in, mb);
    else if (kind == 1)
        weight_grad(m->grad + m->tensors[2 * l].off, NULL, m->dZ, Ain, out, in, mb);
    else
        input_grad(m->dA, nn_model_W(m, l), m->dZ, out, in, mb);
}

void nn_model_products(nn_model *m, long mb)
{
    for (int i = 0; i < nn_model_n_products(m); i++)
        nn_model_product(m, mb, i);
}

/* The predicted label of column j after forward. */
static int32_t predict_one(const nn_model *m, const nn_real *ZL, int K, long mb, long j)
{
    if (m->spec.out == NN_OUT_SIGMOID)
        return 1.0 / (1.0 + exp(-ZL[j])) > 0.5;
    int best = 0;
    for (int k = 1; k < K; k++)
        if (ZL[(size_t)k * (size_t)mb + (size_t)j] > ZL[(size_t)best * (size_t)mb + (size_t)j])
            best = k;
    return best;
}

void nn_model_predict_batch(const nn_model *m, long mb, int32_t *pred)
{
    int K = m->spec.sizes[m->spec.n_layers];
    const nn_real *ZL = m->Z[m->spec.n_layers - 1];
    for (long j = 0; j < mb; j++)
        pred[j] = predict_one(m, ZL, K, mb, j);
}

long nn_model_count_correct(const nn_model *m, long mb)
{
    int K = m->spec.sizes[m->spec.n_layers];
    const nn_real *ZL = m->Z[m->spec.n_layers - 1];
    long c = 0;
    for (long j = 0; j < mb; j++)
        c += predict_one(m, ZL, K, mb, j) == m->yb[j];
    return c;
}

nn_eval nn_model_evaluate(nn_model *m, const nn_real *X, const int32_t *y, size_t n, int d)
{
    nn_eval e = {0, 0};
    size_t correct = 0;
    int32_t pred[256];
    long cap = m->spec.batch_cap < 256 ? m->spec.batch_cap : 256;
    for (size_t start = 0; start < n; start += (size_t)cap) {
        long mb = (long)((n - start) < (size_t)cap ? (n - start) : (size_t)cap);
        nn_model_gather_range(m, X, y, d, start, mb);
        e.loss += nn_model_forward(m, mb, 0);
        nn_model_predict_batch(m, mb, pred);
        for (long j = 0; j < mb; j++)
            correct += pred[j] == m->yb[j];
    }
    if (n) {
        e.loss *= 1.0 / (double)n;
        e.accuracy = (double)correct / (double)n;
    }
    return e;
}
