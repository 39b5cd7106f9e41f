/* packgemm.c: where packgemm.h's kernels run (the CPU check, compiled without
 * AVX-512), and the threads that share a product: C's columns split into as
 * many ranges as the BLAS has threads, one per thread, each thread with its
 * own packing workspace (static, so nothing is allocated: the pool's threads
 * are started once, by the first product that wants them, and then wait on
 * a condition variable). A fork()ed child (a sweep worker) starts with no
 * workers and starts its own when it needs them. */
#include "packgemm.h"

#if NN_PACK_GEMM
#include <cblas.h>
#include <pthread.h>

/* the products below this many multiply-adds run on one thread: waking a
 * worker costs some microseconds */
#define PARALLEL_MIN_MACS (1L << 22)

static nn_real workspace[NN_PACK_MAX_THREADS][NN_PACK_WS] __attribute__((aligned(64)));

static int enabled = 1;

int nn_pack_gemm_available(void)
{
    static int cpu = -1;
    if (cpu < 0) {
        __builtin_cpu_init();
        cpu = __builtin_cpu_supports("avx512f") != 0;
    }
    return cpu && enabled;
}

int nn_pack_gemm_enable(int on)
{
    int was = enabled;
    enabled = on != 0;
    return was;
}

int nn_pack_gemm_ok(int trans_b, long m, long n, long k)
{
    const long nr = NN_PACK_NR, vl = 64 / (long)sizeof(nn_real);
    if (!nn_pack_gemm_available() || m < 1 || n < 1 || k < 1 || m > (1L << 24) ||
        n > (1L << 24) || k > (1L << 24)) /* the blocking's int indices */
        return 0;
    /* the few-row weight gradient's dot products: a vector of terms at least */
    if (trans_b && m < NN_PACK_DOT_ROWS)
        return k >= vl && n >= nr;
    /* the panels' padding wastes at most an eighth of the multiply-adds (n = 64
     * is 3 panels of 24 doubles, 89% used, but 2 of 48 floats, 67%: BLAS) */
    long panels = (n + nr - 1) / nr;
    if (8 * n < 7 * panels * nr)
        return 0;
    /* a few rows (op(B) read in place, once per block of rows) or a short sum
     * (the register block's fixed cost): wide products only, measured on the
     * 10-unit output layer at batch 500 (ours ahead) and 64 (BLAS ahead) */
    if (m < 2 * NN_PACK_MR || k < 16)
        return n >= 8 * nr;
    return 1;
}

typedef struct {
    int ta, tb, m, n, k, lda, ldb, ldc, parts, chunk;
    const nn_real *A, *B;
    nn_real *C;
    const nn_pack_epilogue *ep;
} job;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    int started;       /* workers running (threads 1 .. started) */
    unsigned long gen; /* bumped for every job */
    unsigned long born[NN_PACK_MAX_THREADS]; /* gen when worker i was started */
    int pending;       /* workers still busy with the job */
    job j;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .go = PTHREAD_COND_INITIALIZER,
          .done = PTHREAD_COND_INITIALIZER};

static void run_part(const job *j, int part, nn_real *w)
{
    int j0 = part * j->chunk, j1 = j0 + j->chunk < j->n ? j0 + j->chunk : j->n;
    if (j0 < j1)
        nn_pack_gemm_cols(j->ta, j->tb, j->m, j0, j1, j->k, j->A, j->lda, j->B, j->ldb, j->C,
                          j->ldc, j->ep, w);
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    pthread_mutex_lock(&pool.mu);
    unsigned long seen = pool.born[id]; /* the jobs after the worker's start */
    for (;;) {
        while (pool.gen == seen)
            pthread_cond_wait(&pool.go, &pool.mu);
        seen = pool.gen;
        job j = pool.j;
        pthread_mutex_unlock(&pool.mu);
        if (id < j.parts)
            run_part(&j, id, workspace[id]);
        pthread_mutex_lock(&pool.mu);
        if (--pool.pending == 0)
            pthread_cond_signal(&pool.done);
    }
    return NULL;
}

/* In a fork()ed child only the forking thread exists. */
static void after_fork_child(void)
{
    pthread_mutex_init(&pool.mu, NULL);
    pthread_cond_init(&pool.go, NULL);
    pthread_cond_init(&pool.done, NULL);
    pool.started = 0;
    pool.pending = 0;
}

/* Workers 1 .. want - 1 running (fewer if a thread cannot be started);
 * returns how many threads the job may use. Called with the lock held. */
static int ensure_workers(int want)
{
    static int atfork_set;
    if (!atfork_set) {
        pthread_atfork(NULL, NULL, after_fork_child);
        atfork_set = 1;
    }
    while (pool.started + 1 < want) {
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pool.born[pool.started + 1] = pool.gen;
        int rc = pthread_create(&t, &at, worker, (void *)(long)(pool.started + 1));
        pthread_attr_destroy(&at);
        if (rc != 0)
            break;
        pool.started++;
    }
    return pool.started + 1;
}

void nn_pack_gemm(int trans_a, int trans_b, int m, int n, int k, const nn_real *A, int lda,
                  const nn_real *B, int ldb, nn_real *C, int ldc)
{
    nn_pack_gemm_ep(trans_a, trans_b, m, n, k, A, lda, B, ldb, C, ldc, NULL);
}

void nn_pack_gemm_ep(int trans_a, int trans_b, int m, int n, int k, const nn_real *A, int lda,
                     const nn_real *B, int ldb, nn_real *C, int ldc, const nn_pack_epilogue *ep)
{
    nn_pack_epilogue plain;
    if (ep && ep->rowsum && (m > NN_PACK_ROWSUM_MAX || k <= 0)) {
        /* beyond the kernels' room for the sums (or none to add): here, in the
         * same order */
        for (int i = 0; i < m; i++) {
            double acc = 0;
            for (int p = 0; p < k; p++)
                acc += trans_a ? A[(size_t)p * (size_t)lda + (size_t)i]
                               : A[(size_t)i * (size_t)lda + (size_t)p];
            ep->rowsum[i] = (nn_real)acc;
        }
        plain = *ep;
        plain.rowsum = NULL;
        ep = &plain;
    }
    int threads = openblas_get_num_threads();
    long panels = (n + NN_PACK_NR - 1) / NN_PACK_NR;
    if (threads > NN_PACK_MAX_THREADS)
        threads = NN_PACK_MAX_THREADS;
    if (threads > panels)
        threads = (int)panels;
    if (threads <= 1 || (long)m * n * (k > 0 ? k : 1) < PARALLEL_MIN_MACS) {
        nn_pack_gemm_cols(trans_a, trans_b, m, 0, n, k, A, lda, B, ldb, C, ldc, ep, workspace[0]);
        return;
    }
    pthread_mutex_lock(&pool.mu);
    int parts = ensure_workers(threads);
    if (parts > threads) /* workers started for more threads than now wanted */
        parts = threads;
    int chunk = (int)((panels + parts - 1) / parts) * NN_PACK_NR;
    pool.j = (job){trans_a, trans_b, m, n, k, lda, ldb, ldc, parts, chunk, A, B, C, ep};
    pool.pending = pool.started;
    pool.gen++;
    pthread_cond_broadcast(&pool.go);
    job mine = pool.j;
    pthread_mutex_unlock(&pool.mu);
    run_part(&mine, 0, workspace[0]);
    pthread_mutex_lock(&pool.mu);
    while (pool.pending > 0)
        pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
}
#endif
