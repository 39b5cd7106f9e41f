/* store.c: trials.csv, claims, sweep.txt and plan.csv (see store.h). */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "nnlab/io.h"
#include "util.h"

static const char *const id_cols[] = {"trial", "config", "repeat", "epochs", "status"};
static const char *const res_cols[] = {"train_accuracy", "val_accuracy", "best_val_accuracy",
                                       "test_accuracy", "final_loss", "iterations",
                                       "gradient_evaluations", "seconds", "reason"};
#define N_ID 5
#define N_RES 9

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    for (size_t got; s && (got = fread(s + n, 1, cap - n - 1, f)) > 0;) {
        n += got;
        if (n + 1 >= cap) {
            char *t = realloc(s, cap *= 2);
            if (!t) {
                free(s);
                s = NULL;
            }
            s = t;
        }
    }
    fclose(f);
    if (s)
        s[n] = '\0';
    if (len)
        *len = n;
    return s;
}

/* ---- CSV ------------------------------------------------------------------------ */

void nn_sw_csv_field(FILE *f, const char *v, int last)
{
    if (strpbrk(v, ",\"\n\r")) {
        fputc('"', f);
        for (; *v; v++) {
            if (*v == '"')
                fputc('"', f);
            fputc(*v == '\n' || *v == '\r' ? ' ' : *v, f);
        }
        fputc('"', f);
    } else {
        fputs(v, f);
    }
    fputc(last ? '\n' : ',', f);
}

int nn_sw_csv_split(const char *line, char **fields, int max, const char **end)
{
    int n = 0;
    const char *p = line;
    for (;;) {
        size_t cap = 64, k = 0;
        char *v = malloc(cap);
        if (!v)
            return -1;
        int quoted = *p == '"';
        if (quoted)
            p++;
        for (;; p++) {
            if (quoted && *p == '"' && p[1] == '"') {
                p++;
            } else if (quoted && *p == '"') {
                quoted = 0;
                continue;
            } else if (!quoted && (*p == ',' || *p == '\n' || *p == '\0')) {
                break;
            } else if (quoted && (*p == '\0' || *p == '\n')) {
                /* torn: this writer never puts a newline inside quotes */
                free(v);
                for (int i = 0; i < n; i++)
                    free(fields[i]);
                *end = *p ? p + 1 : p;
                return -1;
            }
            if (k + 2 > cap) {
                char *t = realloc(v, cap *= 2);
                if (!t) {
                    free(v);
                    return -1;
                }
                v = t;
            }
            v[k++] = *p;
        }
        v[k] = '\0';
        if (n < max)
            fields[n++] = v;
        else
            free(v);
        if (*p != ',') {
            *end = *p == '\n' ? p + 1 : p;
            return n;
        }
        p++;
    }
}

/* ---- trials.csv ------------------------------------------------------------------ */

int nn_sw_header(const nn_sweep_spec *s, char *out, size_t n)
{
    size_t len = 0;
    FILE *f = fmemopen(out, n, "w");
    if (!f)
        return -1;
    for (int i = 0; i < N_ID; i++)
        nn_sw_csv_field(f, id_cols[i], 0);
    for (int i = 0; i < s->n_params; i++)
        nn_sw_csv_field(f, s->params[i].key, 0);
    for (int i = 0; i < N_RES; i++)
        nn_sw_csv_field(f, res_cols[i], i == N_RES - 1);
    len = (size_t)ftell(f);
    fclose(f);
    return len + 1 < n ? 0 : -1;
}

static void num(FILE *f, double v, const char *fmt)
{
    if (isfinite(v))
        fprintf(f, fmt, v);
    fputc(',', f);
}

static void write_row(FILE *f, const nn_sweep_spec *s, const nn_sw_plan *p, const nn_sw_trial *t,
                      const nn_sw_result *r)
{
    fprintf(f, "%s,%s,%d,%ld,", t->id, p->configs[t->cfg].hash, t->repeat, t->epochs);
    nn_sw_csv_field(f, r->status, 0);
    for (int i = 0; i < s->n_params; i++)
        nn_sw_csv_field(f, p->configs[t->cfg].values[i], 0);
    num(f, r->train, "%.17g");
    num(f, r->val, "%.17g");
    num(f, r->best_val, "%.17g");
    num(f, r->test, "%.17g");
    num(f, r->loss, "%.17g");
    if (r->iterations >= 0)
        fprintf(f, "%ld", r->iterations);
    fputc(',', f);
    if (r->grad_evals >= 0)
        fprintf(f, "%ld", r->grad_evals);
    fputc(',', f);
    num(f, r->seconds, "%.3f");
    nn_sw_csv_field(f, r->reason, 1);
}

static int lock_file(const char *dir, nn_err *err)
{
    int fd = open(nn_path_join(dir, ".trials.lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return nn_err_set(err, NN_EIO, "%s/.trials.lock: cannot open: %s", dir, strerror(errno));
    while (flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            close(fd);
            return nn_err_set(err, NN_EIO, "%s/.trials.lock: cannot lock: %s", dir, strerror(errno));
        }
    return fd;
}

static int header_matches(const char *dir, const char *text, const char *header, nn_err *err)
{
    size_t hl = strlen(header);
    if (strncmp(text, header, hl) == 0)
        return NN_OK;
    const char *nl = strchr(text, '\n');
    return nn_err_set(err, NN_EINPUT, "%s/trials.csv: its columns (%.*s) are not this sweep's (%.*s): "
                      "a search over other keys; use another -o DIR", dir,
                      nl ? (int)(nl - text) : (int)strlen(text), text, (int)hl - 1, header);
}

int nn_sw_check_header(const char *dir, const nn_sweep_spec *s, nn_err *err)
{
    char header[8192];
    if (nn_sw_header(s, header, sizeof header) != 0)
        return nn_err_set(err, NN_EINPUT, "sweep: too many or too long keys");
    char *text = slurp(nn_path_join(dir, "trials.csv"), NULL);
    int rc = text && text[0] ? header_matches(dir, text, header, err) : NN_OK;
    free(text);
    return rc;
}

int nn_sw_append(const char *dir, const nn_sweep_spec *s, const nn_sw_plan *p,
                 const nn_sw_trial *t, const nn_sw_result *r, nn_err *err)
{
    char header[8192];
    if (nn_sw_header(s, header, sizeof header) != 0)
        return nn_err_set(err, NN_EINPUT, "sweep: too many or too long keys");
    int fd = lock_file(dir, err);
    if (fd < 0)
        return fd;
    size_t len = 0;
    char *old = slurp(nn_path_join(dir, "trials.csv"), &len);
    int rc = old && len ? header_matches(dir, old, header, err) : NN_OK;
    nn_atomic a;
    if (rc == NN_OK)
        rc = nn_atomic_open(&a, nn_path_join(dir, "trials.csv"), err);
    if (rc == NN_OK) {
        if (old && len) {
            fwrite(old, 1, len, a.f);
            if (old[len - 1] != '\n')
                fputc('\n', a.f);
        } else {
            fputs(header, a.f);
        }
        write_row(a.f, s, p, t, r);
        rc = nn_atomic_commit(&a, err);
    }
    free(old);
    flock(fd, LOCK_UN);
    close(fd);
    return rc;
}

static double field_num(const char *v)
{
    char *e;
    double d = strtod(v, &e);
    return v[0] && !*e ? d : NAN;
}

static int parse_row(nn_sw_table *t, char **f, nn_sw_row *r)
{
    memset(r, 0, sizeof *r);
    if (strlen(f[0]) >= sizeof r->trial || strlen(f[1]) >= sizeof r->config ||
        strlen(f[4]) >= sizeof r->r.status)
        return -1;
    snprintf(r->trial, sizeof r->trial, "%s", f[0]);
    snprintf(r->config, sizeof r->config, "%s", f[1]);
    r->repeat = atoi(f[2]);
    r->epochs = atol(f[3]);
    snprintf(r->r.status, sizeof r->r.status, "%s", f[4]);
    r->values = calloc((size_t)(t->n_keys ? t->n_keys : 1), sizeof(char *));
    if (!r->values)
        return -1;
    for (int i = 0; i < t->n_keys; i++) {
        r->values[i] = f[N_ID + i];
        f[N_ID + i] = NULL;
    }
    char **m = f + N_ID + t->n_keys;
    r->r.train = field_num(m[0]);
    r->r.val = field_num(m[1]);
    r->r.best_val = field_num(m[2]);
    r->r.test = field_num(m[3]);
    r->r.loss = field_num(m[4]);
    r->r.iterations = m[5][0] ? atol(m[5]) : -1;
    r->r.grad_evals = m[6][0] ? atol(m[6]) : -1;
    r->r.seconds = field_num(m[7]);
    snprintf(r->r.reason, sizeof r->r.reason, "%s", m[8]);
    return 0;
}

#define MAX_FIELDS (N_ID + NN_SW_MAX_PARAMS + N_RES + 1)

static int read_header(nn_sw_table *t, const char **p)
{
    char *f[MAX_FIELDS];
    int n = nn_sw_csv_split(*p, f, MAX_FIELDS, p);
    int ok = n >= N_ID + N_RES && n <= N_ID + NN_SW_MAX_PARAMS + N_RES &&
             strcmp(f[0], "trial") == 0 && strcmp(f[N_ID - 1], "status") == 0;
    if (ok) {
        t->n_keys = n - N_ID - N_RES;
        t->keys = calloc((size_t)(t->n_keys ? t->n_keys : 1), sizeof(char *));
        ok = t->keys != NULL;
        for (int i = 0; ok && i < t->n_keys; i++) {
            t->keys[i] = f[N_ID + i];
            f[N_ID + i] = NULL;
        }
    }
    for (int i = 0; i < n; i++)
        free(f[i]);
    return ok ? 0 : -1;
}

int nn_sw_table_read(const char *dir, nn_sw_table *t, nn_err *err)
{
    memset(t, 0, sizeof *t);
    char *text = slurp(nn_path_join(dir, "trials.csv"), NULL);
    if (!text)
        return errno == ENOENT ? NN_OK : nn_err_set(err, NN_EIO, "%s/trials.csv: cannot read: %s", dir, strerror(errno));
    const char *p = text;
    int rc = NN_OK;
    if (*p && read_header(t, &p) != 0)
        rc = nn_err_set(err, NN_EINPUT, "%s/trials.csv: not a sweep's trials table", dir);
    long lines = 0;
    for (const char *q = p; *q; q++)
        lines += *q == '\n';
    t->rows = rc ? NULL : calloc((size_t)lines + 1, sizeof *t->rows);
    if (!rc && !t->rows)
        rc = nn_err_set(err, NN_ENOMEM, "out of memory");
    while (rc == NN_OK && *p) {
        char *f[MAX_FIELDS];
        const char *next = p;
        int n = nn_sw_csv_split(p, f, MAX_FIELDS, &next);
        if (n < 0) {                   /* a torn line */
            p = next;
            continue;
        }
        if (n == N_ID + t->n_keys + N_RES && parse_row(t, f, &t->rows[t->n_rows]) == 0)
            t->n_rows++;
        for (int i = 0; i < n; i++)
            free(f[i]);
        p = next;
    }
    free(text);
    if (rc)
        nn_sw_table_free(t);
    return rc;
}

void nn_sw_table_free(nn_sw_table *t)
{
    for (int i = 0; i < t->n_rows; i++) {
        for (int k = 0; k < t->n_keys; k++)
            free(t->rows[i].values[k]);
        free(t->rows[i].values);
    }
    for (int k = 0; k < t->n_keys; k++)
        free(t->keys[k]);
    free(t->keys);
    free(t->rows);
    memset(t, 0, sizeof *t);
}

const nn_sw_row *nn_sw_table_find(const nn_sw_table *t, const char *trial)
{
    for (int i = t->n_rows - 1; i >= 0; i--)
        if (strcmp(t->rows[i].trial, trial) == 0)
            return &t->rows[i];
    return NULL;
}

double nn_sw_metric_value(const nn_sw_result *r, const char *m)
{
    return strcmp(m, "val_accuracy") == 0 ? r->val : strcmp(m, "best_val_accuracy") == 0 ? r->best_val
         : strcmp(m, "train_accuracy") == 0 ? r->train : strcmp(m, "test_accuracy") == 0 ? r->test
         : strcmp(m, "final_loss") == 0 ? r->loss : NAN;
}

/* ---- claims ------------------------------------------------------------------------ */

int nn_sw_claim_try(const char *dir, const char *trial, nn_sw_claim *c, nn_err *err)
{
    char cdir[4200];
    snprintf(cdir, sizeof cdir, "%s/claims", dir);
    int rc = nn_mkdirs(cdir, err);
    if (rc)
        return rc;
    snprintf(c->path, sizeof c->path, "%s/%s.lock", cdir, trial);
    for (int attempt = 0; attempt < 100; attempt++) {
        int fd = open(c->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return nn_err_set(err, NN_EIO, "%s: cannot open: %s", c->path, strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            close(fd);
            c->fd = -1;
            return 0;
        }
        /* the file locked must still be the one at the path (a holder that
         * finished removes it before letting go) */
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(c->path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
            char who[128];
            char host[64] = "";
            gethostname(host, sizeof host - 1);
            int n = snprintf(who, sizeof who, "%s %ld\n", host, (long)getpid());
            if (ftruncate(fd, 0) == 0 && pwrite(fd, who, (size_t)n, 0) < 0)
                (void)0;
            c->fd = fd;
            return 1;
        }
        close(fd);
    }
    return nn_err_set(err, NN_EIO, "%s: cannot be claimed (keeps changing)", c->path);
}

void nn_sw_claim_release(nn_sw_claim *c)
{
    if (c->fd < 0)
        return;
    unlink(c->path);
    close(c->fd);
    c->fd = -1;
}

void nn_sw_claim_drop(nn_sw_claim *c)
{
    if (c->fd < 0)
        return;
    close(c->fd);
    c->fd = -1;
}

int nn_sw_claims_held(const char *dir, char (*ids)[16], int max)
{
    char cdir[4200];
    snprintf(cdir, sizeof cdir, "%s/claims", dir);
    DIR *d = opendir(cdir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 6 || len > 20 || strcmp(e->d_name + len - 5, ".lock") != 0)
            continue;
        int fd = open(nn_path_join(cdir, e->d_name), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
            if (n < max)
                snprintf(ids[n], 16, "%.*s", (int)(len - 5), e->d_name);
            n++;
        } else {
            flock(fd, LOCK_UN);
        }
        close(fd);
    }
    if (d)
        closedir(d);
    return n;
}

/* ---- sweep.txt, plan.csv -------------------------------------------------------------- */

void nn_sw_meta_of(const nn_sweep_spec *s, const nn_sw_plan *p, nn_sw_meta *m)
{
    memset(m, 0, sizeof *m);
    char *abs = realpath(s->file, NULL);
    snprintf(m->file, sizeof m->file, "%s", abs ? abs : s->file);
    free(abs);
    snprintf(m->name, sizeof m->name, "%s", s->name);
    snprintf(m->method, sizeof m->method, "%s", nn_sw_method_name(s->method));
    snprintf(m->metric, sizeof m->metric, "%s", s->metric);
    m->repeats = s->repeats;
    m->plots = s->plots;
    m->configs = p->n_configs;
    m->total = nn_sw_plan_total(s, p);
    size_t len = 0;
    for (int k = 0; k < p->n_rungs; k++)
        len += (size_t)snprintf(m->rungs + len, len < sizeof m->rungs ? sizeof m->rungs - len : 0,
                                "%s%dx%ld", k ? " " : "", p->rung_configs[k], p->rung_epochs[k]);
    m->n_keys = s->n_params;
    for (int i = 0; i < s->n_params; i++) {
        snprintf(m->keys[i], sizeof m->keys[i], "%s", s->params[i].key);
        snprintf(m->kinds[i], sizeof m->kinds[i], "%s", nn_sw_kind_name(s->params[i].kind));
    }
}

int nn_sw_meta_write(const char *dir, const nn_sw_meta *m, nn_err *err)
{
    nn_atomic a;
    int rc = nn_atomic_open(&a, nn_path_join(dir, "sweep.txt"), err);
    if (rc)
        return rc;
    fprintf(a.f, "# nnlab sweep: the search this folder holds (nnlab sweep --status reads it)\n"
                 "file = %s\nname = %s\nmethod = %s\nmetric = %s\nrepeats = %d\nplots = %d\n"
                 "configurations = %ld\ntrials = %ld\nrungs = %s\n",
            m->file, m->name, m->method, m->metric, m->repeats, m->plots, m->configs, m->total, m->rungs);
    for (int i = 0; i < m->n_keys; i++)
        fprintf(a.f, "param = %s %s\n", m->kinds[i], m->keys[i]);
    return nn_atomic_commit(&a, err);
}

int nn_sw_meta_read(const char *dir, nn_sw_meta *m, nn_err *err)
{
    memset(m, 0, sizeof *m);
    char *text = slurp(nn_path_join(dir, "sweep.txt"), NULL);
    if (!text)
        return nn_err_set(err, NN_EIO, "%s/sweep.txt: cannot read (not a sweep folder?)", dir);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *eq = strstr(line, " = ");
        if (line[0] == '#' || !eq)
            continue;
        *eq = '\0';
        const char *k = line, *v = eq + 3;
        if (strcmp(k, "file") == 0) snprintf(m->file, sizeof m->file, "%s", v);
        else if (strcmp(k, "name") == 0) snprintf(m->name, sizeof m->name, "%s", v);
        else if (strcmp(k, "method") == 0) snprintf(m->method, sizeof m->method, "%s", v);
        else if (strcmp(k, "metric") == 0) snprintf(m->metric, sizeof m->metric, "%s", v);
        else if (strcmp(k, "repeats") == 0) m->repeats = atoi(v);
        else if (strcmp(k, "plots") == 0) m->plots = atoi(v);
        else if (strcmp(k, "configurations") == 0) m->configs = atol(v);
        else if (strcmp(k, "trials") == 0) m->total = atol(v);
        else if (strcmp(k, "rungs") == 0) snprintf(m->rungs, sizeof m->rungs, "%s", v);
        else if (strcmp(k, "param") == 0 && m->n_keys < NN_SW_MAX_PARAMS) {
            const char *sp = strchr(v, ' ');
            if (sp) {
                snprintf(m->kinds[m->n_keys], sizeof m->kinds[0], "%.*s", (int)(sp - v), v);
                snprintf(m->keys[m->n_keys++], sizeof m->keys[0], "%s", sp + 1);
            }
        }
    }
    free(text);
    return NN_OK;
}

int nn_sw_plan_write(const char *dir, const nn_sweep_spec *s, const nn_sw_plan *p, nn_err *err)
{
    nn_atomic a;
    int rc = nn_atomic_open(&a, nn_path_join(dir, "plan.csv"), err);
    if (rc)
        return rc;
    fputs("trial,config,repeat,rung,epochs", a.f);
    for (int i = 0; i < s->n_params; i++) {
        fputc(',', a.f);
        nn_sw_csv_field(a.f, s->params[i].key, i == s->n_params - 1);
    }
    for (int i = 0; i < p->n_trials; i++) {
        const nn_sw_trial *t = &p->trials[i];
        fprintf(a.f, "%s,%s,%d,%d,%ld,", t->id, p->configs[t->cfg].hash, t->repeat, t->rung, t->epochs);
        for (int k = 0; k < s->n_params; k++)
            nn_sw_csv_field(a.f, p->configs[t->cfg].values[k], k == s->n_params - 1);
    }
    return nn_atomic_commit(&a, err);
}
