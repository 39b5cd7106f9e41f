/* checkpoint.c: writing and restoring a trainer's whole state (see
 * checkpoint.h).
 *
 * Layout of state.bin: "NNLABCK1", u32 0x01020304 (byte order), u32
 * sizeof(nn_real), then records (u32 name length, name, u64 byte length,
 * bytes), then the record "end" whose 8 bytes are the checksum (ck_hash) of
 * every byte before it. Numbers are this machine's: a checkpoint is read
 * back by the build that wrote it. */
#define _GNU_SOURCE /* renameat2 */
#include "checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnlab/io.h"

#define CK_MAGIC "NNLABCK1"
#define CK_ORDER 0x01020304u
#define CK_MAX_RECORDS (16 + NN_MAX_REG)

const char *const nn_checkpoint_may_differ[] = {"train.checkpoint_every", "output.plots",
                                                "output.log_scale", "output.weights",
                                                "output.dir", "sweep", NULL};

/* ---- the checksum ------------------------------------------------------------------
 * 64-bit words multiplied in (FNV's prime) with a shift that carries the
 * high bits down, the last partial word byte by byte: any change of one word
 * changes it. Streamed: the same bytes give the same sum however they are cut. */

#define CK_START 1469598103934665603ull
#define CK_PRIME 1099511628211ull

typedef struct ck_sum {
    uint64_t h;
    unsigned char pend[8];
    size_t n_pend;
} ck_sum;

static void ck_word(ck_sum *s, const unsigned char *b)
{
    uint64_t w;
    memcpy(&w, b, 8);
    s->h = (s->h ^ w) * CK_PRIME;
    s->h ^= s->h >> 29;
}

static void ck_add(ck_sum *s, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n && s->n_pend) {
        s->pend[s->n_pend++] = *b++;
        n--;
        if (s->n_pend == 8) {
            ck_word(s, s->pend);
            s->n_pend = 0;
        }
    }
    if (s->n_pend)
        return; /* n is 0 */
    for (; n >= 8; b += 8, n -= 8)
        ck_word(s, b);
    memcpy(s->pend, b, n);
    s->n_pend = n;
}

static uint64_t ck_final(const ck_sum *s)
{
    uint64_t h = s->h;
    for (size_t i = 0; i < s->n_pend; i++)
        h = (h ^ s->pend[i]) * CK_PRIME;
    return h ^ s->n_pend;
}

static uint64_t ck_hash(const void *p, size_t n)
{
    ck_sum s = {CK_START, {0}, 0};
    ck_add(&s, p, n);
    return ck_final(&s);
}

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
    const nn_split *sp[3] = {&d->train, &d->val, &d->test};
    ck_sum s = {CK_START, {0}, 0};
    ck_add(&s, &d->d, sizeof d->d);
    ck_add(&s, &d->n_classes, sizeof d->n_classes);
    for (int i = 0; i < 3; i++) {
        ck_add(&s, &sp[i]->m, sizeof sp[i]->m);
        if (sp[i]->m) {
            ck_add(&s, sp[i]->X, sp[i]->m * (size_t)d->d * sizeof(nn_real));
            ck_add(&s, sp[i]->y, sp[i]->m * sizeof(int32_t));
        }
    }
    return ck_final(&s);
}

int nn_checkpoint_prepare(nn_checkpoint *c, const nn_trainer *t, const char *dir, nn_err *err)
{
    memset(c, 0, sizeof *c);
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    FILE *f = open_memstream(&c->config, &c->config_n);
    if (!f)
        return nn_err_set(err, NN_ENOMEM, "out of memory for the checkpoint");
    nn_experiment_print(t->x, f);
    if (fclose(f) != 0) {
        nn_checkpoint_release(c);
        return nn_err_set(err, NN_ENOMEM, "out of memory for the checkpoint");
    }
    c->data_hash = data_hash(t->data);
    return NN_OK;
}

void nn_checkpoint_release(nn_checkpoint *c)
{
    free(c->config);
    c->config = NULL;
}

/* ---- writing ----------------------------------------------------------------------- */

typedef struct ck_out {
    FILE *f;
    ck_sum sum;
    int bad;
} ck_out;

static void put(ck_out *o, const void *p, size_t n)
{
    ck_add(&o->sum, p, n);
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

static void write_records(ck_out *o, const nn_checkpoint *c, const nn_trainer *t)
{
    const nn_model *m = t->model;
    const nn_experiment *x = t->x;
    size_t np = m->n_params * sizeof(nn_real);
    record(o, "config", c->config, c->config_n + 1);
    record(o, "data", &c->data_hash, sizeof c->data_hash);
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

/* The name of the end state's own record: the epochs of the run that left it. */
#define CK_END_RECORD "end_state"


/* rm -r of a checkpoint folder (files only inside). */
static void remove_folder(const char *path)
{
    DIR *d = opendir(path);
    char sub[8300];
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        unlink(sub);
    }
    if (d)
        closedir(d);
    rmdir(path);
}

static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd) != 0 && errno != EINVAL ? -1 : 0;
    close(fd);
    return rc;
}

/* state.bin into the folder tmp, fsynced with the folder; an end state
 * (end) with its run's epochs. */
static int write_state(const nn_checkpoint *c, const nn_trainer *t, int end, const char *tmp,
                       const char *shown, nn_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/state.bin", tmp);
    FILE *f = fopen(path, "wb");
    if (!f)
        return nn_err_set(err, NN_EIO, "%s: cannot write: %s", shown, strerror(errno));
    ck_out o = {f, {CK_START, {0}, 0}, 0};
    uint32_t head[2] = {CK_ORDER, sizeof(nn_real)};
    put(&o, CK_MAGIC, 8);
    put(&o, head, sizeof head);
    write_records(&o, c, t);
    if (end) {
        int64_t epochs = t->x->opts.train.epochs;
        record(&o, CK_END_RECORD, &epochs, sizeof epochs);
    }
    uint64_t sum = ck_final(&o.sum);
    record(&o, "end", &sum, sizeof sum);
    int bad = o.bad || ferror(f) || fflush(f) != 0 || (fsync(fileno(f)) != 0 && errno != EINVAL);
    int e = errno;
    bad |= fclose(f) != 0;
    if (!bad && fsync_path(tmp) != 0)
        bad = 1, e = errno;
    if (bad)
        return nn_err_set(err, NN_EIO, "%s: write failed: %s", shown, strerror(e ? e : EIO));
    return NN_OK;
}

/* The new folder tmp in the place of final (which may not exist yet). */
static int swap_in(const char *tmp, const char *final, const char *shown, nn_err *err)
{
    struct stat st;
    if (stat(final, &st) != 0) {
        if (rename(tmp, final) == 0)
            return NN_OK;
    } else if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_EXCHANGE) == 0) {
        remove_folder(tmp); /* the previous checkpoint */
        return NN_OK;
    } else if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) {
        /* no exchange here: the one file over the old one, still atomic */
        char from[4200], to[4200];
        snprintf(from, sizeof from, "%s/state.bin", tmp);
        snprintf(to, sizeof to, "%s/state.bin", final);
        if (rename(from, to) == 0) {
            remove_folder(tmp);
            return fsync_path(final) == 0 ? NN_OK
                                          : nn_err_set(err, NN_EIO, "%s: write failed: %s", shown,
                                                       strerror(errno));
        }
    }
    return nn_err_set(err, NN_EIO, "%s: cannot rename into place: %s", shown, strerror(errno));
}

/* t's state as <dir>/<sub>/state.bin, the folder replaced atomically. */
static int write_into(const nn_checkpoint *c, const nn_trainer *t, const char *sub, int end,
                      nn_err *err)
{
    char tmp[4200], final[4200], shown[4200];
    snprintf(final, sizeof final, "%s/%s", c->dir, sub);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", final, (long)getpid());
    snprintf(shown, sizeof shown, "%s/state.bin", final);
    remove_folder(tmp); /* one of this process's that failed before */
    if (mkdir(tmp, 0777) != 0)
        return nn_err_set(err, NN_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    int rc = write_state(c, t, end, tmp, shown, err);
    if (rc == NN_OK)
        rc = swap_in(tmp, final, shown, err);
    if (rc != NN_OK)
        remove_folder(tmp);
    else if (fsync_path(c->dir) != 0)
        rc = nn_err_set(err, NN_EIO, "%s: write failed: %s", c->dir, strerror(errno));
    return rc;
}

int nn_checkpoint_write(const nn_checkpoint *c, const nn_trainer *t, nn_err *err)
{
    return write_into(c, t, NN_CHECKPOINT_DIR, 0, err);
}

int nn_checkpoint_write_end(const nn_checkpoint *c, const nn_trainer *t, nn_err *err)
{
    return write_into(c, t, NN_END_STATE_DIR, 1, err);
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
    snprintf(path, sizeof path, "%s/%s", dir, NN_CHECKPOINT_DIR);
    remove_folder(path);
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
    int rc = NN_OK;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        rc = nn_err_set(err, NN_EIO, "%s: not a regular file", path);
    c->n = rc == NN_OK ? (size_t)st.st_size : 0;
    c->buf = rc == NN_OK ? malloc(c->n ? c->n : 1) : NULL;
    if (rc == NN_OK && !c->buf)
        rc = nn_err_set(err, NN_ENOMEM, "%s: out of memory (%zu bytes)", path, c->n);
    else if (rc == NN_OK && fread(c->buf, 1, c->n, f) != c->n)
        rc = nn_err_set(err, NN_EIO, "%s: read error", path);
    fclose(f);
    return rc;
}

/* The records of c->buf, checked whole (checksum) before anything is used;
 * advice ends the message of a file that is not one. */
static int parse(ck_file *c, const char *path, const char *advice, nn_err *err)
{
    const unsigned char *b = c->buf;
    size_t at = 16;
    uint32_t head[2];
    if (c->n < 16 || memcmp(b, CK_MAGIC, 8) != 0)
        return nn_err_set(err, NN_EINPUT, "%s: not an nnlab checkpoint (%zu bytes, no "
                          "\"" CK_MAGIC "\" header)%s", path, c->n, advice);
    memcpy(head, b + 8, sizeof head);
    if (head[0] != CK_ORDER || head[1] != sizeof(nn_real))
        return nn_err_set(err, NN_EINPUT, "%s: written on a machine of another byte order or by "
                          "a build with another number type (%u-byte reals, this one %zu)",
                          path, head[1], sizeof(nn_real));
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
            uint64_t sum, h = ck_hash(b, at);
            if (bytes != 8)
                break;
            memcpy(&sum, r->p, sizeof sum);
            if (sum != h || data + 8 != c->n)
                break;
            return NN_OK;
        }
        at = data + bytes;
    }
    return nn_err_set(err, NN_EINPUT, "%s: corrupt or truncated (checksum mismatch or records "
                      "cut short)%s", path, advice);
}

static const ck_rec *find(const ck_file *c, const char *name)
{
    for (int i = 0; i < c->n_rec; i++)
        if (strcmp(c->rec[i].name, name) == 0)
            return &c->rec[i];
    return NULL;
}

/* Record name holds exactly n bytes (NN_EINPUT naming it if not). */
static const ck_rec *sized(const ck_file *c, const char *name, size_t n, const char *path,
                           nn_err *err)
{
    const ck_rec *r = find(c, name);
    if (!r)
        nn_err_set(err, NN_EINPUT, "%s: no '%s' in the checkpoint", path, name);
    else if (r->n != n)
        nn_err_set(err, NN_EINPUT, "%s: '%s' holds %llu bytes, this run needs %zu", path, name,
                   (unsigned long long)r->n, n);
    return r && r->n == n ? r : NULL;
}

/* Copies record name of exactly n bytes into p. */
static int take(const ck_file *c, const char *name, void *p, size_t n, const char *path, nn_err *err)
{
    const ck_rec *r = sized(c, name, n, path, err);
    if (!r)
        return NN_EINPUT;
    if (n)
        memcpy(p, r->p, n);
    return NN_OK;
}

/* The same experiment (but for the keys of may_differ) and the same data as
 * when the checkpoint was written. */
static int same_run(const ck_file *c, const nn_trainer *t, const char *const *may_differ,
                    const char *path, nn_err *err)
{
    const ck_rec *cfg = find(c, "config");
    if (!cfg || cfg->n == 0 || cfg->p[cfg->n - 1] != '\0')
        return nn_err_set(err, NN_EINPUT, "%s: no experiment in the checkpoint", path);
    char what[700];
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

/* The position is one this run can reach. */
static int position_ok(const nn_trainer *t, const ck_pos *p, long rows, const char *path,
                       nn_err *err)
{
    const nn_train_opts *tr = &t->x->opts.train;
    if (p->next_epoch < 0 || p->next_epoch > tr->epochs || p->next_pos < 0 ||
        (p->next_pos > 0 && (size_t)p->next_pos >= t->data->train.m) || p->iteration < 0 || p->epochs_done < 0 || p->epochs_done > p->next_epoch + 1 ||
        rows > t->cap_rows)
        return nn_err_set(err, NN_EINPUT, "%s: a position this run cannot have (epoch %lld, "
                          "example %lld, %ld rows)", path, (long long)p->next_epoch,
                          (long long)p->next_pos, rows);
    return NN_OK;
}

static void apply(nn_trainer *t, const ck_best *b, const ck_pos *p, const ck_sched *sc, long rows)
{
    t->best_val = b->best_val;
    t->best_epoch = (long)b->best_epoch;
    t->has_best = (int)b->has_best;
    t->iteration = (long)p->iteration;
    t->epochs_done = (long)p->epochs_done;
    t->next_epoch = (long)p->next_epoch;
    t->next_pos = (size_t)p->next_pos;
    t->batch_correct = (long)p->batch_correct;
    t->grad_evals = (long)p->grad_evals;
    t->epoch_loss = p->epoch_loss;
    t->final_loss = p->final_loss;
    t->seconds = p->seconds;
    t->sched.plateau_lr = (nn_real)sc->plateau_lr;
    t->sched.best = sc->best;
    t->sched.bad_epochs = (long)sc->bad_epochs;
    t->sched.cooldown_left = (long)sc->cooldown_left;
    t->sched.last_observed = (long)sc->last_observed;
    t->n_rows = rows;
    t->resumed = 1;
}

/* Where each record of the trainer's state goes. */
typedef struct ck_dest {
    char name[32];
    void *p;
    size_t n;
} ck_dest;

static int dests(nn_trainer *t, nn_experiment *x, long rows, ck_dest *d)
{
    size_t np = t->model->n_params * sizeof(nn_real);
    int n = 0;
    d[n++] = (ck_dest){"theta", t->model->theta, np};
    d[n++] = (ck_dest){"slots", t->slots, t->slot_total * sizeof(nn_real)};
    d[n++] = (ck_dest){"scalars", t->scalars, sizeof t->scalars};
    if (t->eval_theta)
        d[n++] = (ck_dest){"eval_theta", t->eval_theta, np};
    d[n++] = (ck_dest){"best_theta", t->best_theta, np};
    d[n++] = (ck_dest){"shuffle", &t->shuffle, sizeof t->shuffle};
    d[n++] = (ck_dest){"perm", t->perm, t->data->train.m * sizeof(int64_t)};
    for (int r = 0; r < x->n_reg; r++) {
        d[n] = (ck_dest){"", &x->reg[r].rng, sizeof x->reg[r].rng};
        snprintf(d[n++].name, sizeof d[0].name, "reg_rng[%d]", r);
    }
    d[n++] = (ck_dest){"rows", t->rows, (size_t)rows * sizeof(nn_metric_row)};
    return n;
}

/* Every record is checked before anything of t (or x's streams) changes, so
 * a refused checkpoint leaves the trainer as nn_trainer_init made it. */
static int restore(const ck_file *c, nn_trainer *t, nn_experiment *x, const char *path, nn_err *err)
{
    ck_best b;
    ck_pos p;
    ck_sched sc;
    const ck_rec *rr = find(c, "rows");
    long rows = rr ? (long)(rr->n / sizeof(nn_metric_row)) : 0;
    int rc = take(c, "position", &p, sizeof p, path, err);
    if (rc == NN_OK)
        rc = position_ok(t, &p, rows, path, err);
    if (rc == NN_OK)
        rc = take(c, "best", &b, sizeof b, path, err);
    if (rc == NN_OK)
        rc = take(c, "schedule", &sc, sizeof sc, path, err);
    ck_dest d[CK_MAX_RECORDS];
    const ck_rec *src[CK_MAX_RECORDS];
    int n = rc == NN_OK ? dests(t, x, rows, d) : 0;
    for (int i = 0; rc == NN_OK && i < n; i++)
        if (!(src[i] = sized(c, d[i].name, d[i].n, path, err)))
            rc = NN_EINPUT;
    const ck_rec *perm = rc == NN_OK ? find(c, "perm") : NULL;
    for (size_t i = 0; perm && p.next_pos > 0 && i < t->data->train.m; i++) {
        int64_t v;
        memcpy(&v, perm->p + i * sizeof v, sizeof v);
        if (v < 0 || (size_t)v >= t->data->train.m) {
            rc = nn_err_set(err, NN_EINPUT, "%s: the epoch's order names example %lld of %zu",
                            path, (long long)v, t->data->train.m);
            break;
        }
    }
    for (int i = 0; rc == NN_OK && i < n; i++)
        if (d[i].n)
            memcpy(d[i].p, src[i]->p, d[i].n);
    if (rc == NN_OK)
        apply(t, &b, &p, &sc, rows);
    return rc;
}

int nn_checkpoint_read(nn_trainer *t, nn_experiment *x, const char *dir, nn_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, NN_CHECKPOINT_FILE);
    ck_file c;
    memset(&c, 0, sizeof c);
    int rc = read_whole(path, &c, err);
    if (rc == NN_OK)
        rc = parse(&c, path, "; start the run again with --force", err);
    if (rc == NN_OK)
        rc = same_run(&c, t, nn_checkpoint_may_differ, path, err);
    if (rc == NN_OK)
        rc = restore(&c, t, x, path, err);
    free(c.buf);
    return rc;
}

/* What may differ between an end state and the run going on from it: what
 * a checkpoint allows, the name and the epochs (checked on their own). */
static const char *const end_may_differ[] = {"train.checkpoint_every", "output.plots",
                                             "output.log_scale", "output.weights", "output.dir",
                                             "sweep", "name", "train.epochs", NULL};

/* The end state's run had fewer epochs than this one and stopped at its end. */
static int end_fits(const ck_file *c, const nn_trainer *t, const char *path, nn_err *err)
{
    int64_t done;
    ck_pos p;
    const ck_rec *r = find(c, CK_END_RECORD);
    if (!r || r->n != sizeof done)
        return nn_err_set(err, NN_EINPUT, "%s: not the end state of a run (a checkpoint of one "
                          "that was stopped)", path);
    memcpy(&done, r->p, sizeof done);
    int rc = take(c, "position", &p, sizeof p, path, err);
    long epochs = t->x->opts.train.epochs;
    if (rc == NN_OK && (p.next_epoch != done || p.next_pos != 0))
        rc = nn_err_set(err, NN_EINPUT, "%s: the state of epoch %lld, not of its run's end (%lld)",
                        path, (long long)p.next_epoch, (long long)done);
    if (rc == NN_OK && done >= epochs)
        rc = nn_err_set(err, NN_EINPUT, "%s: its run had %lld epochs, this one %ld: nothing to go "
                        "on with", path, (long long)done, epochs);
    return rc;
}

int nn_checkpoint_continue(nn_trainer *t, nn_experiment *x, const char *from, nn_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", from, NN_END_STATE_FILE);
    ck_file c;
    memset(&c, 0, sizeof c);
    int rc = read_whole(path, &c, err);
    if (rc == NN_OK)
        rc = parse(&c, path, "", err);
    if (rc == NN_OK)
        rc = same_run(&c, t, end_may_differ, path, err);
    if (rc == NN_OK)
        rc = end_fits(&c, t, path, err);
    if (rc == NN_OK)
        rc = restore(&c, t, x, path, err);
    free(c.buf);
    return rc;
}
