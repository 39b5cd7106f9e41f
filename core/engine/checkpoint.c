/* checkpoint.c: writing and restoring a trainer's whole state (see
 * checkpoint.h).
 *
 * Layout of state.bin: "NNLABCK1", u32 0x01020304 (byte order), u32
 * sizeof(nn_real), then records (u32 name length, name, u64 byte length,
 * bytes) in any order, then the record "end" whose 8 bytes are the FNV-1a
 * checksum of every byte before it. Numbers are this machine's. */
#include "checkpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnlab/io.h"

#define CK_MAGIC "NNLABCK1"
#define CK_ORDER 0x01020304u
#define CK_MAX_RECORDS 32

/* Settings that change how a run is shown, never what it computes: they
 * may differ between a checkpoint and the run that resumes it. */
static const char *const may_differ[] = {"train.checkpoint_every", "output.plots",
                                         "output.log_scale", "output.weights", "output.dir",
                                         "sweep", NULL};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

#define FNV_START 1469598103934665603ull

/* ---- the pieces -------------------------------------------------------------------- */

typedef struct ck_pos {
    int64_t iteration, epochs_done, next_epoch, next_pos, batch_correct, grad_evals;
    double epoch_loss, final_loss, seconds;
} ck_pos;

typedef struct ck_best {
    double best_val;
    int64_t best_epoch, has_best;
} ck_best;

typedef struct ck_sched {
    double plateau_lr, best;
    int64_t bad_epochs, cooldown_left, last_observed;
} ck_sched;

/* A hash of the data the run trains and measures on, with their shapes. */
static uint64_t data_hash(const nn_data *d)
{
    const nn_split *s[3] = {&d->train, &d->val, &d->test};
    uint64_t h = fnv(FNV_START, &d->d, sizeof d->d);
    h = fnv(h, &d->n_classes, sizeof d->n_classes);
    for (int i = 0; i < 3; i++) {
        h = fnv(h, &s[i]->m, sizeof s[i]->m);
        h = fnv(h, s[i]->X, s[i]->m * (size_t)d->d * sizeof(nn_real));
        h = fnv(h, s[i]->y, s[i]->m * sizeof(int32_t));
    }
    return h;
}

/* ---- writing ----------------------------------------------------------------------- */

typedef struct ck_out {
    FILE *f;
    uint64_t h;
    int bad;
} ck_out;

static void put(ck_out *o, const void *p, size_t n)
{
    o->h = fnv(o->h, p, n);
    if (n && fwrite(p, 1, n, o->f) != n)
        o->bad = 1;
}

static void record(ck_out *o, const char *name, const void *p, size_t n)
{
    uint32_t len = (uint32_t)strlen(name);
    uint64_t bytes = n;
    put(o, &len, sizeof len);
    put(o, name, len);
    put(o, &bytes, sizeof bytes);
    put(o, p, n);
}

static char *experiment_text(const nn_experiment *x, size_t *n)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, n);
    if (!f)
        return NULL;
    nn_experiment_print(x, f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void write_records(ck_out *o, const nn_trainer *t, const char *config, size_t config_n)
{
    const nn_model *m = t->model;
    const nn_experiment *x = t->x;
    size_t np = m->n_params * sizeof(nn_real);
    record(o, "config", config, config_n + 1);
    uint64_t dh = data_hash(t->data);
    record(o, "data", &dh, sizeof dh);
    record(o, "theta", m->theta, np);
    record(o, "slots", t->slots, t->slot_total * sizeof(nn_real));
    record(o, "scalars", t->scalars, sizeof t->scalars);
    if (t->eval_theta)
        record(o, "eval_theta", t->eval_theta, np);
    record(o, "best_theta", t->best_theta, np);
    ck_best b = {t->best_val, t->best_epoch, t->has_best};
    record(o, "best", &b, sizeof b);
    ck_pos p = {t->iteration, t->epochs_done, t->next_epoch, (int64_t)t->next_pos, t->batch_correct,
                t->grad_evals, t->epoch_loss, t->final_loss, t->seconds};
    record(o, "position", &p, sizeof p);
    const nn_schedule *s = &t->sched;
    ck_sched sc = {s->plateau_lr, s->best, s->bad_epochs, s->cooldown_left, s->last_observed};
    record(o, "schedule", &sc, sizeof sc);
    record(o, "shuffle", &t->shuffle, sizeof t->shuffle);
    record(o, "perm", t->perm, t->data->train.m * sizeof(int64_t));
    for (int r = 0; r < x->n_reg; r++) {
        char name[32];
        snprintf(name, sizeof name, "reg_rng[%d]", r);
        record(o, name, &x->reg[r].rng, sizeof x->reg[r].rng);
    }
    record(o, "rows", t->rows, (size_t)t->n_rows * sizeof(nn_metric_row));
}

int nn_checkpoint_write(const nn_trainer *t, const char *dir, nn_err *err)
{
    char path[4200], folder[4200];
    snprintf(folder, sizeof folder, "%s/%s", dir, NN_CHECKPOINT_DIR);
    snprintf(path, sizeof path, "%s/%s", dir, NN_CHECKPOINT_FILE);
    int rc = nn_mkdirs(folder, err);
    if (rc)
        return rc;
    size_t config_n = 0;
    char *config = experiment_text(t->x, &config_n);
    if (!config)
        return nn_err_set(err, NN_ENOMEM, "%s: out of memory", path);
    nn_atomic a;
    if ((rc = nn_atomic_open(&a, path, err)) != NN_OK) {
        free(config);
        return rc;
    }
    ck_out o = {a.f, FNV_START, 0};
    uint32_t head[2] = {CK_ORDER, sizeof(nn_real)};
    put(&o, CK_MAGIC, 8);
    put(&o, head, sizeof head);
    write_records(&o, t, config, config_n);
    free(config);
    uint64_t sum = o.h;
    record(&o, "end", &sum, sizeof sum);
    if (o.bad) {
        int e = errno;
        nn_atomic_abort(&a);
        return nn_err_set(err, NN_EIO, "%s: write failed: %s", path, strerror(e));
    }
    return nn_atomic_commit(&a, err);
}

int nn_checkpoint_exists(const char *dir)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, NN_CHECKPOINT_FILE);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void nn_checkpoint_remove(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, NN_CHECKPOINT_FILE);
    unlink(path);
    snprintf(path, sizeof path, "%s/%s", dir, NN_CHECKPOINT_DIR);
    rmdir(path);
}

/* ---- reading ----------------------------------------------------------------------- */

typedef struct ck_rec {
    char name[32];
    const unsigned char *p;
    uint64_t n;
} ck_rec;

typedef struct ck_file {
    unsigned char *buf;
    size_t n;
    ck_rec rec[CK_MAX_RECORDS];
    int n_rec;
} ck_file;

static int read_whole(const char *path, ck_file *c, nn_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return nn_err_set(err, NN_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    int rc = fstat(fileno(f), &st) == 0 ? NN_OK : NN_EIO;
    c->n = rc == NN_OK ? (size_t)st.st_size : 0;
    c->buf = rc == NN_OK ? malloc(c->n ? c->n : 1) : NULL;
    if (rc == NN_OK && !c->buf)
        rc = nn_err_set(err, NN_ENOMEM, "%s: out of memory", path);
    else if (rc == NN_OK && fread(c->buf, 1, c->n, f) != c->n)
        rc = nn_err_set(err, NN_EIO, "%s: read error", path);
    else if (rc != NN_OK)
        nn_err_set(err, NN_EIO, "%s: %s", path, strerror(errno));
    fclose(f);
    return rc;
}

/* The records of c->buf, checked whole (checksum) before anything is used. */
static int parse(ck_file *c, const char *path, nn_err *err)
{
    const unsigned char *b = c->buf;
    size_t at = 16;
    uint32_t head[2];
    if (c->n < 16 || memcmp(b, CK_MAGIC, 8) != 0)
        return nn_err_set(err, NN_EINPUT, "%s: not an nnlab checkpoint", path);
    memcpy(head, b + 8, sizeof head);
    if (head[0] != CK_ORDER || head[1] != sizeof(nn_real))
        return nn_err_set(err, NN_EINPUT, "%s: written on a machine of another byte order or by "
                          "a build with another number type", path);
    while (at + 12 <= c->n) {
        uint32_t len;
        uint64_t bytes;
        memcpy(&len, b + at, 4);
        if (len == 0 || len >= sizeof c->rec[0].name || at + 4 + len + 8 > c->n)
            break;
        memcpy(&bytes, b + at + 4 + len, 8);
        size_t data = at + 4 + len + 8;
        if (bytes > c->n - data || c->n_rec == CK_MAX_RECORDS)
            break;
        ck_rec *r = &c->rec[c->n_rec++];
        memcpy(r->name, b + at + 4, len);
        r->name[len] = '\0';
        r->p = b + data;
        r->n = bytes;
        if (strcmp(r->name, "end") == 0) {
            uint64_t sum, h = fnv(FNV_START, b, at);
            memcpy(&sum, r->p, sizeof sum);
            if (bytes != 8 || sum != h || data + 8 != c->n)
                break;
            return NN_OK;
        }
        at = data + bytes;
    }
    return nn_err_set(err, NN_EINPUT, "%s: corrupt or truncated (checksum mismatch); "
                      "start the run again with --force", path);
}

static const ck_rec *find(const ck_file *c, const char *name)
{
    for (int i = 0; i < c->n_rec; i++)
        if (strcmp(c->rec[i].name, name) == 0)
            return &c->rec[i];
    return NULL;
}

/* Copies record name of exactly n bytes into p. */
static int take(const ck_file *c, const char *name, void *p, size_t n, const char *path, nn_err *err)
{
    const ck_rec *r = find(c, name);
    if (!r)
        return nn_err_set(err, NN_EINPUT, "%s: no '%s' in the checkpoint", path, name);
    if (r->n != n)
        return nn_err_set(err, NN_EINPUT, "%s: '%s' holds %llu bytes, this run needs %zu", path,
                          name, (unsigned long long)r->n, n);
    memcpy(p, r->p, n);
    return NN_OK;
}

/* The same experiment and the same data as when the checkpoint was written. */
static int same_run(const ck_file *c, const nn_trainer *t, const char *path, nn_err *err)
{
    const ck_rec *cfg = find(c, "config");
    if (!cfg || cfg->n == 0 || cfg->p[cfg->n - 1] != '\0')
        return nn_err_set(err, NN_EINPUT, "%s: no experiment in the checkpoint", path);
    char what[600];
    int d = nn_experiment_differs(t->x, (const char *)cfg->p, may_differ, what, sizeof what);
    if (d != 0)
        return nn_err_set(err, NN_EINPUT, "%s: a checkpoint of another experiment: %s", path, what);
    uint64_t dh;
    int rc = take(c, "data", &dh, sizeof dh, path, err);
    if (rc == NN_OK && dh != data_hash(t->data))
        rc = nn_err_set(err, NN_EINPUT, "%s: the data differ from those the checkpoint was "
                        "trained on (a data file changed since)", path);
    return rc;
}

static int restore(const ck_file *c, nn_trainer *t, nn_experiment *x, const char *path, nn_err *err)
{
    nn_model *m = t->model;
    size_t np = m->n_params * sizeof(nn_real);
    ck_best b;
    ck_pos p;
    ck_sched sc;
    long rows = (long)(find(c, "rows") ? find(c, "rows")->n / sizeof(nn_metric_row) : 0);
    if (rows > t->cap_rows)
        return nn_err_set(err, NN_EINPUT, "%s: %ld metric rows, more than this run logs", path, rows);
    int rc = take(c, "theta", m->theta, np, path, err);
    if (rc == NN_OK)
        rc = take(c, "slots", t->slots, t->slot_total * sizeof(nn_real), path, err);
    if (rc == NN_OK)
        rc = take(c, "scalars", t->scalars, sizeof t->scalars, path, err);
    if (rc == NN_OK && t->eval_theta)
        rc = take(c, "eval_theta", t->eval_theta, np, path, err);
    if (rc == NN_OK)
        rc = take(c, "best_theta", t->best_theta, np, path, err);
    if (rc == NN_OK)
        rc = take(c, "best", &b, sizeof b, path, err);
    if (rc == NN_OK)
        rc = take(c, "position", &p, sizeof p, path, err);
    if (rc == NN_OK)
        rc = take(c, "schedule", &sc, sizeof sc, path, err);
    if (rc == NN_OK)
        rc = take(c, "shuffle", &t->shuffle, sizeof t->shuffle, path, err);
    if (rc == NN_OK)
        rc = take(c, "perm", t->perm, t->data->train.m * sizeof(int64_t), path, err);
    for (int r = 0; rc == NN_OK && r < x->n_reg; r++) {
        char name[32];
        snprintf(name, sizeof name, "reg_rng[%d]", r);
        rc = take(c, name, &x->reg[r].rng, sizeof x->reg[r].rng, path, err);
    }
    if (rc == NN_OK)
        rc = take(c, "rows", t->rows, (size_t)rows * sizeof(nn_metric_row), path, err);
    if (rc)
        return rc;
    t->best_val = b.best_val;
    t->best_epoch = (long)b.best_epoch;
    t->has_best = (int)b.has_best;
    t->iteration = (long)p.iteration;
    t->epochs_done = (long)p.epochs_done;
    t->next_epoch = (long)p.next_epoch;
    t->next_pos = (size_t)p.next_pos;
    t->batch_correct = (long)p.batch_correct;
    t->grad_evals = (long)p.grad_evals;
    t->epoch_loss = p.epoch_loss;
    t->final_loss = p.final_loss;
    t->seconds = p.seconds;
    t->sched.plateau_lr = (nn_real)sc.plateau_lr;
    t->sched.best = sc.best;
    t->sched.bad_epochs = (long)sc.bad_epochs;
    t->sched.cooldown_left = (long)sc.cooldown_left;
    t->sched.last_observed = (long)sc.last_observed;
    t->n_rows = rows;
    t->resumed = 1;
    return NN_OK;
}

int nn_checkpoint_read(nn_trainer *t, nn_experiment *x, const char *dir, nn_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, NN_CHECKPOINT_FILE);
    ck_file c;
    memset(&c, 0, sizeof c);
    int rc = read_whole(path, &c, err);
    if (rc == NN_OK)
        rc = parse(&c, path, err);
    if (rc == NN_OK)
        rc = same_run(&c, t, path, err);
    if (rc == NN_OK)
        rc = restore(&c, t, x, path, err);
    free(c.buf);
    return rc;
}
