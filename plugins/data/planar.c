/* planar: generated 2-D data sets. circles and moons are generated exactly as
 * scikit-learn 1.2's make_circles / make_moons with NumPy's legacy stream, so
 * the same seeds give the course notebooks' points; blobs and
 * gaussian_quantiles likewise follow make_blobs / make_gaussian_quantiles,
 * flower is course 1's load_planar_dataset (seed 1, n_train 400) and spiral
 * CS231n's spiral. football is this project's stand-in for the
 * regularization notebook's data.mat (see football() below).
 * The random streams are NumPy's exactly. sin and cos are the C library's
 * (correctly rounded with glibc); NumPy 1.24 on AVX-512 CPUs computes them
 * with SVML, which differs in the last bit or two, so there flower and
 * spiral points agree with NumPy's to about 1e-15 rather than bit for bit. */
#include "nnlab/plugin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { P_SHAPE, P_N_TRAIN, P_N_VAL, P_N_TEST, P_NOISE, P_FACTOR, P_VAL_SEED, P_TEST_SEED, P_CLASSES, P_FLIP };

static const nn_param_decl params[] = {
    {"shape", NN_T_STRING, 0, "circles", 0, 0, "circles|moons|football|flower|blobs|gaussian_quantiles|spiral",
     "which generator"},
    {"n_train", NN_T_INT, 300, NULL, 2, 1e7, NULL, "training points"},
    {"n_val", NN_T_INT, 0, NULL, 0, 1e7, NULL, "validation points (0 = no validation split)"},
    {"n_test", NN_T_INT, 100, NULL, 0, 1e7, NULL, "test points"},
    {"noise", NN_T_REAL, -1, NULL, -1, 100, NULL,
     "noise std (-1 = the shape's default): circles/moons 0.05 on the points, football 0.1 on the boundary, "
     "flower 0.2 and spiral 0.2 on the angle (flower: radius too), blobs 1 cluster std, gaussian_quantiles 1 std"},
    {"factor", NN_T_REAL, 0.8, NULL, 0, 0.999999, NULL, "circles: inner radius / outer radius"},
    {"val_seed", NN_T_INT, -1, NULL, -1, 4294967295.0, NULL,
     "reseed before the validation split (-1: continue the data stream)"},
    {"test_seed", NN_T_INT, -1, NULL, -1, 4294967295.0, NULL,
     "reseed before the test split (-1: continue the data stream)"},
    {"classes", NN_T_INT, 2, NULL, 2, NN_MAX_CLASSES, NULL,
     "number of classes for blobs, gaussian_quantiles and spiral (the others have 2)"},
    {"flip", NN_T_REAL, -1, NULL, -1, 1, NULL,
     "label noise: each label is redrawn uniformly among the classes with this probability "
     "(scikit-learn's flip_y); -1 = the shape's default: football 0.05, the others 0"},
};

/* One data set's generator settings, shared by its splits. */
typedef struct gen {
    const char *shape;
    double noise, factor, flip;
    int classes;
    double *centers; /* blobs: (classes, 2), drawn once before the training split */
} gen;

/* np.linspace(0, stop, num, endpoint) */
static double linspace(double stop, long num, int endpoint, long i)
{
    long div = endpoint ? num - 1 : num;
    if (div <= 0)
        return 0.0;
    if (endpoint && i == num - 1)
        return stop;
    return (double)i * (stop / (double)div);
}

/* Unshuffled points: first n_out of class 0 then n_in of class 1. */
static void base_points(const char *shape, double factor, long n, double *X, int32_t *y)
{
    long n_out = n / 2, n_in = n - n_out;
    int moons = strcmp(shape, "moons") == 0;
    for (long i = 0; i < n_out; i++) {
        double t = moons ? linspace(M_PI, n_out, 1, i) : linspace(2 * M_PI, n_out, 0, i);
        X[2 * i] = cos(t);
        X[2 * i + 1] = sin(t);
        y[i] = 0;
    }
    for (long i = 0; i < n_in; i++) {
        double *p = X + 2 * (n_out + i);
        if (moons) {
            double t = linspace(M_PI, n_in, 1, i);
            p[0] = 1 - cos(t);
            p[1] = 1 - sin(t) - 0.5;
        } else {
            double t = linspace(2 * M_PI, n_in, 0, i);
            p[0] = cos(t) * factor;
            p[1] = sin(t) * factor;
        }
        y[n_out + i] = 1;
    }
}

/* sklearn: X, y = shuffle(X, y, random_state=gen); X += gen.normal(scale=noise, size=X.shape) */
static int generate(const gen *g, nn_rng *rng, long n, nn_real *X, int32_t *y)
{
    double *bx = malloc((size_t)n * 2 * sizeof(double));
    int32_t *by = malloc((size_t)n * sizeof(int32_t));
    int64_t *idx = malloc((size_t)n * sizeof(int64_t));
    if (!bx || !by || !idx) {
        free(bx);
        free(by);
        free(idx);
        return NN_ENOMEM;
    }
    base_points(g->shape, g->factor, n, bx, by);
    nn_rng_permutation(rng, idx, (size_t)n);
    for (long i = 0; i < n; i++) {
        X[2 * i] = bx[2 * idx[i]];
        X[2 * i + 1] = bx[2 * idx[i] + 1];
        y[i] = by[idx[i]];
    }
    for (long i = 0; i < 2 * n; i++)
        X[i] += g->noise * nn_rng_randn(rng);
    free(bx);
    free(by);
    free(idx);
    return NN_OK;
}

/* np.linspace(start, stop, num) (endpoint included), element i */
static double linspace2(double start, double stop, long num, long i)
{
    if (num == 1)
        return start;
    if (i == num - 1)
        return stop;
    double step = (stop - start) / (double)(num - 1);
    if (step == 0)
        return (double)i / (double)(num - 1) * (stop - start) + start;
    return (double)i * step + start;
}

/* Points of class k when n are spread over K classes, the first n % K
 * classes taking one more (make_blobs). */
static long per_class(long n, int K, int k) { return n / K + (k < n % K); }

/* sklearn's util_shuffle: rows (and labels) in the order of permutation(n). */
static int shuffle_rows(nn_rng *rng, long n, nn_real *X, int32_t *y)
{
    int64_t *idx = malloc((size_t)n * sizeof(int64_t));
    double *bx = malloc((size_t)n * 2 * sizeof(double));
    int32_t *by = malloc((size_t)n * sizeof(int32_t));
    if (!idx || !bx || !by) {
        free(idx);
        free(bx);
        free(by);
        return NN_ENOMEM;
    }
    for (long i = 0; i < 2 * n; i++)
        bx[i] = X[i];
    memcpy(by, y, (size_t)n * sizeof(int32_t));
    nn_rng_permutation(rng, idx, (size_t)n);
    for (long i = 0; i < n; i++) {
        X[2 * i] = bx[2 * idx[i]];
        X[2 * i + 1] = bx[2 * idx[i] + 1];
        y[i] = by[idx[i]];
    }
    free(idx);
    free(bx);
    free(by);
    return NN_OK;
}

/* Point i at radius r and angle t as the course and CS231n write it:
 * np.c_[r*np.sin(t), r*np.cos(t)], label cls. */
static void polar_point(nn_real *X, int32_t *y, long i, double r, double t, int cls)
{
    X[2 * i] = r * sin(t);
    X[2 * i + 1] = r * cos(t);
    y[i] = cls;
}

/* course 1 planar_utils.load_planar_dataset (a = 4, one half per class,
 * ordered by class): t = linspace(j*3.12, (j+1)*3.12, N) + randn(N)*0.2,
 * r = a*sin(4t) + randn(N)*0.2, x = (r sin t, r cos t). */
static void flower(const gen *g, nn_rng *rng, long n, nn_real *X, int32_t *y)
{
    long o = 0;
    for (int j = 0; j < 2; o += per_class(n, 2, j), j++) {
        long N = per_class(n, 2, j);
        for (long i = 0; i < N; i++) /* t first, kept in X until r is drawn */
            X[2 * (o + i)] = linspace2(j * 3.12, (j + 1) * 3.12, N, i) + nn_rng_randn(rng) * g->noise;
        for (long i = 0; i < N; i++) {
            double t = X[2 * (o + i)];
            polar_point(X, y, o + i, 4 * sin(4 * t) + nn_rng_randn(rng) * g->noise, t, j);
        }
    }
}

/* CS231n's spiral, ordered by class: r = linspace(0, 1, N),
 * t = linspace(4j, 4(j+1), N) + randn(N)*0.2, x = (r sin t, r cos t). */
static void spiral(const gen *g, nn_rng *rng, long n, nn_real *X, int32_t *y)
{
    long o = 0;
    for (int j = 0; j < g->classes; o += per_class(n, g->classes, j), j++) {
        long N = per_class(n, g->classes, j);
        for (long i = 0; i < N; i++)
            polar_point(X, y, o + i, linspace2(0.0, 1, N, i),
                        linspace2(j * 4, (j + 1) * 4, N, i) + nn_rng_randn(rng) * g->noise, j);
    }
}

/* make_blobs(n, centers=K, cluster_std=noise, center_box=(-10, 10)): the
 * centers are drawn once, with the training split, and shared by every split. */
static int blobs(const gen *g, nn_rng *rng, long n, nn_real *X, int32_t *y)
{
    long o = 0;
    for (int k = 0; k < g->classes; k++) {
        long N = per_class(n, g->classes, k);
        for (long i = 0; i < N; i++) {
            X[2 * (o + i)] = g->centers[2 * k] + g->noise * nn_rng_randn(rng);
            X[2 * (o + i) + 1] = g->centers[2 * k + 1] + g->noise * nn_rng_randn(rng);
            y[o + i] = k;
        }
        o += N;
    }
    return shuffle_rows(rng, n, X, y);
}

typedef struct {
    double d;
    long i;
} dist_idx;

static int by_dist(const void *a, const void *b)
{
    const dist_idx *p = a, *q = b;
    return p->d < q->d ? -1 : p->d > q->d ? 1 : (p->i > q->i) - (p->i < q->i);
}

/* make_gaussian_quantiles(n, n_features=2, n_classes=K, cov=noise^2): N(0,
 * noise^2 I) points sorted by distance from the origin, cut into K shells of
 * n // K points (the remainder joins the last class), then shuffled. */
static int gaussian_quantiles(const gen *g, nn_rng *rng, long n, nn_real *X, int32_t *y)
{
    dist_idx *di = malloc((size_t)n * sizeof *di);
    double *raw = malloc((size_t)n * 2 * sizeof(double));
    if (!di || !raw) {
        free(di);
        free(raw);
        return NN_ENOMEM;
    }
    double s = sqrt(g->noise * g->noise);
    for (long i = 0; i < 2 * n; i++)
        raw[i] = nn_rng_randn(rng) * s;
    for (long i = 0; i < n; i++)
        di[i] = (dist_idx){raw[2 * i] * raw[2 * i] + raw[2 * i + 1] * raw[2 * i + 1], i};
    qsort(di, (size_t)n, sizeof *di, by_dist);
    long step = n / g->classes;
    for (long r = 0; r < n; r++) {
        X[2 * r] = raw[2 * di[r].i];
        X[2 * r + 1] = raw[2 * di[r].i + 1];
        y[r] = r < step * g->classes ? (int32_t)(r / step) : g->classes - 1;
    }
    free(di);
    free(raw);
    return shuffle_rows(rng, n, X, y);
}

/* football: a small two-class set with a noisy, curved boundary, in the role
 * of the regularization notebook's data.mat (which cannot ship). Points are
 * uniform on [-0.75, 0.75]^2 (x = -0.75 + 1.5 * rand(), row by row); then
 * for each point in turn e = randn() and the label is 1 where
 *     x2 - 0.6 x1 - 0.15 sin(5 x1) + noise * e > 0,
 * so labels near the boundary are noisy; by default 5% of the labels are then
 * redrawn at random (flip), isolated outliers that a large unregularized
 * network carves out and that do not generalize. */
static void football(const gen *g, nn_rng *rng, long n, nn_real *X, int32_t *y)
{
    for (long i = 0; i < 2 * n; i++)
        X[i] = -0.75 + 1.5 * nn_rng_rand(rng);
    for (long i = 0; i < n; i++) {
        double x1 = X[2 * i], x2 = X[2 * i + 1];
        y[i] = x2 - 0.6 * x1 - 0.15 * sin(5 * x1) + g->noise * nn_rng_randn(rng) > 0;
    }
}

static int generate_any(const gen *g, nn_rng *rng, long n, nn_real *X, int32_t *y)
{
    const char *s = g->shape;
    if (strcmp(s, "circles") == 0 || strcmp(s, "moons") == 0)
        return generate(g, rng, n, X, y);
    if (strcmp(s, "blobs") == 0)
        return blobs(g, rng, n, X, y);
    if (strcmp(s, "gaussian_quantiles") == 0)
        return gaussian_quantiles(g, rng, n, X, y);
    if (strcmp(s, "flower") == 0)
        flower(g, rng, n, X, y);
    else if (strcmp(s, "spiral") == 0)
        spiral(g, rng, n, X, y);
    else
        football(g, rng, n, X, y);
    return NN_OK;
}

/* After a split is generated: u = rand(n), then for each i with u[i] < flip
 * in order, y[i] = randint(classes) (NumPy's legacy random_interval). */
static int flip_labels(const gen *g, nn_rng *rng, long n, int32_t *y)
{
    double *u = malloc((size_t)n * sizeof(double));
    if (!u)
        return NN_ENOMEM;
    for (long i = 0; i < n; i++)
        u[i] = nn_rng_rand(rng);
    for (long i = 0; i < n; i++)
        if (u[i] < g->flip)
            y[i] = (int32_t)nn_rng_interval(rng, (uint64_t)g->classes - 1);
    free(u);
    return NN_OK;
}

static int make_split(const gen *g, const nn_data_ctx *ctx, nn_data *out, nn_split *s, long n,
                      long seed)
{
    if (n == 0)
        return NN_OK;
    if (seed >= 0)
        nn_rng_seed(ctx->rng, (uint32_t)seed);
    int rc = nn_split_alloc(out, s, (size_t)n, 0);
    if (rc == NN_OK)
        rc = generate_any(g, ctx->rng, n, s->X, s->y);
    if (rc == NN_OK && g->flip > 0)
        rc = flip_labels(g, ctx->rng, n, s->y);
    return rc;
}

static double default_noise(const char *shape)
{
    static const struct {
        const char *shape;
        double noise;
    } t[] = {{"circles", 0.05}, {"moons", 0.05}, {"football", 0.1}, {"flower", 0.2},
             {"blobs", 1.0}, {"gaussian_quantiles", 1.0}, {"spiral", 0.2}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(shape, t[i].shape) == 0)
            return t[i].noise;
    return 0.05;
}

static int load(const nn_value *hp, const nn_data_ctx *ctx, nn_data *out, nn_err *err)
{
    gen g = {hp[P_SHAPE].s, hp[P_NOISE].r, hp[P_FACTOR].r, hp[P_FLIP].r, (int)hp[P_CLASSES].i, NULL};
    int multi = strcmp(g.shape, "blobs") == 0 || strcmp(g.shape, "gaussian_quantiles") == 0 ||
                strcmp(g.shape, "spiral") == 0;
    if (g.noise < 0 && g.noise != -1)
        return nn_err_set(err, NN_EINPUT, "noise = %g: give a value >= 0, or -1 for the shape's default",
                          g.noise);
    if (g.noise < 0)
        g.noise = default_noise(g.shape);
    if (g.flip < 0 && g.flip != -1)
        return nn_err_set(err, NN_EINPUT, "flip = %g: give a probability in [0, 1], or -1 for the shape's default",
                          g.flip);
    if (g.flip < 0)
        g.flip = strcmp(g.shape, "football") == 0 ? 0.05 : 0;
    if (!multi && g.classes != 2)
        return nn_err_set(err, NN_EINPUT, "classes = %d: shape \"%s\" has 2 classes (classes applies to "
                          "blobs, gaussian_quantiles and spiral)", g.classes, g.shape);
    const long counts[3] = {hp[P_N_TRAIN].i, hp[P_N_VAL].i, hp[P_N_TEST].i};
    for (int k = 0; k < 3 && multi; k++)
        if (counts[k] && counts[k] < g.classes)
            return nn_err_set(err, NN_EINPUT, "%s: %ld points for %d classes", k == 0 ? "n_train" : k == 1 ? "n_val" : "n_test",
                              counts[k], g.classes);
    out->d = 2;
    out->n_classes = g.classes;
    int rc = NN_OK;
    if (strcmp(g.shape, "blobs") == 0) {
        g.centers = malloc((size_t)g.classes * 2 * sizeof(double));
        if (!g.centers)
            return nn_err_set(err, NN_ENOMEM, "out of memory generating blobs data");
        for (int i = 0; i < 2 * g.classes; i++)
            g.centers[i] = -10.0 + 20.0 * nn_rng_rand(ctx->rng); /* uniform(-10, 10) */
    }
    rc = make_split(&g, ctx, out, &out->train, counts[0], -1);
    if (!rc)
        rc = make_split(&g, ctx, out, &out->val, counts[1], hp[P_VAL_SEED].i);
    if (!rc)
        rc = make_split(&g, ctx, out, &out->test, counts[2], hp[P_TEST_SEED].i);
    free(g.centers);
    if (rc)
        return nn_err_set(err, rc, "out of memory generating %s data", g.shape);
    if (g.classes == 2) {
        nn_data_set_class_name(out, 0, "red");
        nn_data_set_class_name(out, 1, "blue");
    }
    return NN_OK;
}

static const nn_data_ops ops = {load};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_DATA, "planar",
    "generated 2-D sets: scikit-learn's circles, moons, blobs, gaussian_quantiles (same seeds, same points), "
    "the course's flower, CS231n's spiral, and football",
    NN_ARRAY_LEN(params), params, {.data = &ops}};

NN_PLUGIN(desc)
