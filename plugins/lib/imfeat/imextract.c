/* imextract.c: features for whole splits: parallel extraction (pthreads,
 * dynamic chunks of images), progress on stderr, CS231n's normalisation, the
 * bias column, and the cache around it all. */
#include "imfeat.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 64 /* images a worker takes at a time */

typedef struct extract_job {
    const imfeat_opts *opts;
    nn_data *data;     /* the images of this pass: the whole data, or a window of it */
    int dim;
    size_t total;      /* images of this pass */
    size_t before, all; /* images of earlier passes, of all passes (progress) */
    atomic_size_t next, done;
    atomic_int failed; /* a worker could not allocate its scratch memory */
    int quiet;
    const char *tag;
} extract_job;

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Split and row of image g counted through train, val, test. */
static nn_split *locate(nn_data *data, size_t g, size_t *row)
{
    nn_split *s[3] = {&data->train, &data->val, &data->test};
    int i = 0;
    while (i < 2 && g >= s[i]->m)
        g -= s[i++]->m;
    *row = g;
    return s[i];
}

static void progress(const extract_job *job, size_t before, size_t after)
{
    before += job->before;
    after += job->before;
    if (job->quiet || before * 10 / job->all == after * 10 / job->all)
        return;
    fprintf(stderr, "%s: features %zu/%zu (%zu%%)\n", job->tag, after, job->all,
            after * 100 / job->all);
}

/* Computes images [start, end) into columns [0, dim) of their X rows. */
static void extract_range(extract_job *job, size_t start, size_t end, double *feat, void *work)
{
    const imfeat_opts *o = job->opts;
    size_t px = (size_t)o->height * o->width * o->channels;
    for (size_t g = start; g < end; g++) {
        size_t row;
        nn_split *s = locate(job->data, g, &row);
        nn_real *x = s->X + row * (size_t)job->data->d;
        imfeat_image(feat, s->images + row * px, o, work);
        for (int j = 0; j < job->dim; j++)
            x[j] = (nn_real)feat[j];
    }
}

static void *worker(void *arg)
{
    extract_job *job = arg;
    double *feat = malloc((size_t)job->dim * sizeof(double));
    void *work = malloc(imfeat_work_size(job->opts));
    if (!feat || !work)
        atomic_store(&job->failed, 1);
    else
        imfeat_work_init(work, job->opts);
    while (feat && work) {
        size_t start = atomic_fetch_add(&job->next, CHUNK);
        if (start >= job->total)
            break;
        size_t end = start + CHUNK < job->total ? start + CHUNK : job->total;
        extract_range(job, start, end, feat, work);
        size_t before = atomic_fetch_add(&job->done, end - start);
        progress(job, before, before + (end - start));
    }
    free(feat);
    free(work);
    return NULL;
}

/* Runs worker on n threads, the calling one included. */
static void run_workers(extract_job *job, int n)
{
    pthread_t tid[256];
    int started = 0;
    while (started < n - 1 && pthread_create(&tid[started], NULL, worker, job) == 0)
        started++;
    worker(job);
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
}

/* One pass of the workers over the images of *view (n threads at most). */
static int extract_pass(extract_job *job, nn_data *view, int n)
{
    job->data = view;
    job->total = view->train.m + view->val.m + view->test.m;
    atomic_store(&job->next, 0);
    atomic_store(&job->done, 0);
    if (job->total == 0)
        return NN_OK;
    size_t chunks = (job->total + CHUNK - 1) / CHUNK;
    run_workers(job, (size_t)n > chunks ? (int)chunks : n);
    int ok = atomic_load(&job->done) == job->total;
    job->before += job->total;
    return ok ? NN_OK : NN_ENOMEM;
}

/* The training images in windows (run->window, 0: IMFEAT_WINDOW) read through
 * run->train_images (the split holds none), then val and test. */
static int extract_windows(const imfeat_run *run, extract_job *job, nn_data *data, int n,
                           nn_err *err)
{
    size_t px = (size_t)run->opts->height * run->opts->width * run->opts->channels;
    size_t m = data->train.m, win = run->window ? run->window : IMFEAT_WINDOW;
    win = m < win ? m : win;
    uint8_t *buf = malloc(win * px);
    if (!buf)
        return nn_err_set(err, NN_ENOMEM, "%s: out of memory for %zu images", run->tag, win);
    nn_data view = *data;
    view.val.m = view.test.m = 0;
    int rc = NN_OK;
    for (size_t first = 0; first < m && rc == NN_OK; first += win) {
        size_t count = m - first < win ? m - first : win;
        view.train.m = count;
        view.train.X = data->train.X + first * (size_t)data->d;
        view.train.images = buf;
        rc = run->train_images(run->train_ud, first, count, buf, err);
        if (rc == NN_OK && extract_pass(job, &view, n) != NN_OK)
            rc = nn_err_set(err, NN_ENOMEM, "%s: out of memory extracting features", run->tag);
    }
    free(buf);
    view = *data;
    view.train.m = 0;
    if (rc == NN_OK && extract_pass(job, &view, n) != NN_OK)
        rc = nn_err_set(err, NN_ENOMEM, "%s: out of memory extracting features", run->tag);
    return rc;
}

int imfeat_extract(const imfeat_run *run, int threads, int quiet, nn_data *data, nn_err *err)
{
    extract_job job = {.opts = run->opts, .dim = imfeat_dim(run->opts), .quiet = quiet,
                       .tag = run->tag};
    job.all = data->train.m + data->val.m + data->test.m;
    atomic_init(&job.next, 0);
    atomic_init(&job.done, 0);
    atomic_init(&job.failed, 0);
    if (job.all == 0)
        return NN_OK;
    int windowed = data->train.m && !data->train.images;
    if (windowed && !run->train_images)
        return nn_err_set(err, NN_EINTERNAL, "%s: training split without images", run->tag);
    size_t chunks = (job.all + CHUNK - 1) / CHUNK;
    int n = imfeat_thread_count(threads);
    n = (size_t)n > chunks ? (int)chunks : n;
    double t0 = seconds_now();
    if (!quiet)
        fprintf(stderr, "%s: extracting %d features from %zu images on %d thread%s\n", run->tag,
                job.dim, job.all, n, n == 1 ? "" : "s");
    int rc = NN_OK;
    if (windowed)
        rc = extract_windows(run, &job, data, n, err);
    else if (extract_pass(&job, data, n) != NN_OK)
        rc = nn_err_set(err, NN_ENOMEM, "%s: out of memory extracting features", run->tag);
    if (rc == NN_OK && !quiet)
        fprintf(stderr, "%s: features done in %.2f s\n", run->tag, seconds_now() - t0);
    return rc;
}

/* ---- normalisation ------------------------------------------------------------- */

/* out: (dim) column means of s's first dim columns; rows summed in order. */
static void column_means(double *out, const nn_split *s, int d, int dim)
{
    memset(out, 0, (size_t)dim * sizeof(double));
    for (size_t i = 0; i < s->m; i++)
        for (int j = 0; j < dim; j++)
            out[j] += s->X[i * (size_t)d + j];
    for (int j = 0; j < dim; j++)
        out[j] /= (double)s->m;
}

/* X[:, j] = (X[:, j] - sub[j]) / div[j] for j < dim in every split. */
static void apply_columns(nn_data *data, const double *sub, const double *div, int dim)
{
    nn_split *s[3] = {&data->train, &data->val, &data->test};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < s[k]->m; i++) {
            nn_real *x = s[k]->X + i * (size_t)data->d;
            for (int j = 0; j < dim; j++)
                x[j] = (nn_real)(((double)x[j] - sub[j]) / div[j]);
        }
}

/* out: np.std of the (already centred) training columns: the mean is taken
 * again and subtracted before squaring, as NumPy does. */
static void column_stds(double *out, const nn_split *s, int d, int dim, double *mean)
{
    column_means(mean, s, d, dim);
    memset(out, 0, (size_t)dim * sizeof(double));
    for (size_t i = 0; i < s->m; i++)
        for (int j = 0; j < dim; j++) {
            double v = s->X[i * (size_t)d + j] - mean[j];
            out[j] += v * v;
        }
    for (int j = 0; j < dim; j++) {
        out[j] = sqrt(out[j] / (double)s->m);
        if (out[j] == 0.0)
            out[j] = 1.0; /* a constant column: centred only */
    }
}

int imfeat_normalize(nn_data *data, int dim)
{
    if (data->train.m == 0)
        return NN_OK;
    double *buf = calloc(4 * (size_t)dim, sizeof(double));
    if (!buf)
        return NN_ENOMEM;
    double *mean = buf, *std = buf + dim, *zeros = buf + 2 * dim, *ones = buf + 3 * dim;
    for (int j = 0; j < dim; j++)
        ones[j] = 1.0;
    column_means(mean, &data->train, data->d, dim);
    apply_columns(data, mean, ones, dim);
    column_stds(std, &data->train, data->d, dim, mean);
    apply_columns(data, zeros, std, dim);
    free(buf);
    return NN_OK;
}

/* Column dim of every split = 1. */
static void add_bias(nn_data *data, int dim)
{
    nn_split *s[3] = {&data->train, &data->val, &data->test};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < s[k]->m; i++)
            s[k]->X[i * (size_t)data->d + dim] = 1;
}

/* ---- the whole step -------------------------------------------------------------- */

static int compute(const imfeat_run *run, const nn_data_ctx *ctx, nn_data *data, nn_err *err)
{
    int dim = imfeat_dim(run->opts);
    int rc = imfeat_extract(run, ctx->threads, ctx->quiet, data, err);
    if (rc == NN_OK && run->normalize && imfeat_normalize(data, dim) != NN_OK)
        rc = nn_err_set(err, NN_ENOMEM, "%s: out of memory normalising features", run->tag);
    if (rc == NN_OK && run->bias)
        add_bias(data, dim);
    return rc;
}

/* Worth caching: HOG or hue histogram (pixels alone are cheaper to redo). */
static int costly(const imfeat_opts *o)
{
    for (int i = 0; i < o->n_kinds; i++)
        if (o->kinds[i] != IMFEAT_PIXELS)
            return 1;
    return 0;
}

/* Features through the cache whose key is key. */
static int fill_keyed(const imfeat_run *run, const char *key, const nn_data_ctx *ctx,
                      nn_data *data, nn_err *err)
{
    char file[4300];
    int want = run->use_cache && costly(run->opts);
    int cached = want && imfeat_cache_path(file, sizeof file, ctx->cache_dir, run->data_dir,
                                           run->tag, key) == 0;
    if (want && !cached && !ctx->quiet)
        fprintf(stderr, "%s: no writable cache folder; features are not cached\n", run->tag);
    char why[128];
    int found = cached ? imfeat_cache_load(file, key, data, why, sizeof why) : IMFEAT_CACHE_MISS;
    if (found == IMFEAT_CACHE_HIT) {
        if (!ctx->quiet)
            fprintf(stderr, "%s: features from cache %s\n", run->tag, file);
        return NN_OK;
    }
    if (found == IMFEAT_CACHE_CORRUPT) /* a warning even with -q: the data changed */
        fprintf(stderr, "%s: warning: cache %s is corrupt (%s); extracting the features again\n",
                run->tag, file, why);
    int rc = compute(run, ctx, data, err);
    if (rc != NN_OK || !cached)
        return rc;
    if (imfeat_cache_store(file, key, data) != 0) {
        if (!ctx->quiet)
            fprintf(stderr, "%s: could not write the cache %s\n", run->tag, file);
    } else if (!ctx->quiet) {
        fprintf(stderr, "%s: wrote cache %s\n", run->tag, file);
    }
    return NN_OK;
}

int imfeat_fill(const imfeat_run *run, const nn_data_ctx *ctx, nn_data *data, nn_err *err)
{
    imfeat_keybuf key = {0};
    int rc = imfeat_key(&key, run, err);
    if (rc == NN_OK)
        rc = fill_keyed(run, key.s, ctx, data, err);
    imfeat_keybuf_free(&key);
    return rc;
}
