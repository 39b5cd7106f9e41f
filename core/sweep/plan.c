/* plan.c: configurations, rungs, trial ids and overrides (see plan.h). */
#include "plan.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab/rng.h"
#include "tree.h"

uint64_t nn_sw_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    /* splitmix64's finaliser: every input byte reaches every output bit */
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

/* "key=value\n" for every swept key: what a configuration's hash covers. */
static char *config_text(const nn_sweep_spec *s, char *const *values)
{
    size_t n = 1;
    for (int i = 0; i < s->n_params; i++)
        n += strlen(s->params[i].key) + strlen(values[i]) + 2;
    char *t = malloc(n), *o = t;
    for (int i = 0; t && i < s->n_params; i++)
        o += sprintf(o, "%s=%s\n", s->params[i].key, values[i]);
    if (t)
        *o = '\0';
    return t;
}

static int set_hash(const nn_sweep_spec *s, nn_sw_config *c)
{
    char *t = config_text(s, c->values);
    if (!t)
        return -1;
    snprintf(c->hash, sizeof c->hash, "%08x", (unsigned)(nn_sw_hash(t) >> 32));
    free(t);
    return 0;
}

/* ---- drawing -------------------------------------------------------------------- */

/* One value of p from the stream: NumPy's RandomState rand() and
 * randint(lo, hi + 1) (masked rejection), as tests/gen_sweep_reference.py. */
static char *draw(const nn_sw_param *p, nn_rng *r)
{
    char buf[64];
    double u;
    long long k = 0;
    switch (p->kind) {
    case NN_SW_VALUES:
    case NN_SW_CHOICE:
        return strdup(p->values[nn_rng_interval(r, (uint64_t)(p->n_values - 1))]);
    case NN_SW_UNIFORM:
        u = nn_rng_rand(r);
        nn_tree_format_real(p->lo + (p->hi - p->lo) * u, buf, sizeof buf);
        break;
    case NN_SW_LOG_UNIFORM:
        u = nn_rng_rand(r);
        nn_tree_format_real(exp(log(p->lo) + (log(p->hi) - log(p->lo)) * u), buf, sizeof buf);
        break;
    case NN_SW_INT:
        k = (long long)p->lo + (long long)nn_rng_interval(r, (uint64_t)((long long)p->hi - (long long)p->lo));
        break;
    case NN_SW_LOG_INT:
        u = nn_rng_rand(r);
        k = (long long)floor(exp(log(p->lo) + (log(p->hi + 1) - log(p->lo)) * u));
        k = k < (long long)p->lo ? (long long)p->lo : k > (long long)p->hi ? (long long)p->hi : k;
        break;
    }
    if (p->kind == NN_SW_INT || p->kind == NN_SW_LOG_INT) /* libconfig needs the L beyond 32 bits */
        snprintf(buf, sizeof buf, k > 2147483647LL || k < -2147483648LL ? "%lldL" : "%lld", k);
    return strdup(buf);
}

static void config_clear(nn_sw_config *c)
{
    for (int i = 0; i < NN_SW_MAX_PARAMS; i++)
        free(c->values[i]);
    memset(c, 0, sizeof *c);
}

static int seen(const nn_sw_plan *p, const char *hash)
{
    for (int i = 0; i < p->n_configs; i++)
        if (strcmp(p->configs[i].hash, hash) == 0)
            return 1;
    return 0;
}

/* spec->trials distinct configurations; a repeated draw is drawn again. */
static int random_configs(const nn_sweep_spec *s, nn_sw_plan *p, nn_err *err)
{
    nn_rng *r = malloc(sizeof *r);
    if (!r)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    nn_rng_seed(r, s->seed);
    long tries = 0, max_tries = 100 * s->trials + 1000;
    int rc = NN_OK;
    while (rc == NN_OK && p->n_configs < s->trials) {
        nn_sw_config *c = &p->configs[p->n_configs];
        for (int i = 0; i < s->n_params; i++)
            if (!(c->values[i] = draw(&s->params[i], r)))
                rc = nn_err_set(err, NN_ENOMEM, "out of memory");
        if (rc == NN_OK && set_hash(s, c) != 0)
            rc = nn_err_set(err, NN_ENOMEM, "out of memory");
        if (rc == NN_OK && seen(p, c->hash)) {
            config_clear(c);
            if (++tries > max_tries)
                rc = nn_err_set(err, NN_EINPUT, "%s:%d: sweep.trials: %ld distinct configurations cannot be "
                                "drawn from these params (found %d); use fewer trials or a grid",
                                s->file, s->trials_line, s->trials, p->n_configs);
            continue;
        }
        if (rc == NN_OK)
            p->n_configs++;
    }
    free(r);
    return rc;
}

/* Every combination, the last key changing fastest. */
static int grid_configs(const nn_sweep_spec *s, nn_sw_plan *p, long n, nn_err *err)
{
    for (long c = 0; c < n; c++) {
        nn_sw_config *cf = &p->configs[c];
        long k = c;
        for (int i = s->n_params - 1; i >= 0; i--) {
            const nn_sw_param *pa = &s->params[i];
            if (!(cf->values[i] = strdup(pa->values[k % pa->n_values])))
                return nn_err_set(err, NN_ENOMEM, "out of memory");
            k /= pa->n_values;
        }
        if (set_hash(s, cf) != 0)
            return nn_err_set(err, NN_ENOMEM, "out of memory");
        p->n_configs++;
    }
    return NN_OK;
}

/* ---- rungs ------------------------------------------------------------------------ */

/* Successive halving: rung k runs rung_configs[k] configurations for
 * rung_epochs[k] epochs; the best 1/eta go on at eta times the epochs, the
 * last rung at max_epochs. Without min_epochs, the rungs are as many as
 * halving n configurations down to one takes (log_eta n + 1), the first at
 * max_epochs / eta^(rungs - 1). */
static void layout(const nn_sweep_spec *s, nn_sw_plan *p)
{
    if (s->method != NN_SW_HALVING) {
        p->n_rungs = 1;
        p->rung_epochs[0] = s->base_epochs;
        p->rung_configs[0] = p->n_configs;
        return;
    }
    long min = s->min_epochs;
    if (min == 0) {
        long k = 1, pw = s->eta;
        while (pw <= p->n_configs && k < NN_SW_MAX_RUNGS) {
            k++;
            pw *= s->eta;
        }
        double d = pow((double)s->eta, (double)(k - 1));
        min = (long)fmax(1.0, floor((double)s->max_epochs / d));
    }
    long b = min;
    int n = p->n_configs;
    p->n_rungs = 0;
    while (p->n_rungs < NN_SW_MAX_RUNGS) {
        p->rung_epochs[p->n_rungs] = b;
        p->rung_configs[p->n_rungs++] = n;
        if (b >= s->max_epochs)
            break;
        n = n / (int)s->eta > 1 ? n / (int)s->eta : 1;
        b = n == 1 || b * s->eta > s->max_epochs ? s->max_epochs : b * s->eta;
    }
}

int nn_sw_plan_configs(const nn_sweep_spec *s, nn_sw_plan *p, nn_err *err)
{
    memset(p, 0, sizeof *p);
    long n = 1;
    for (int i = 0; i < s->n_params && !s->trials; i++) {
        n *= s->params[i].n_values;
        if (n > NN_SW_MAX_CONFIGS)
            return nn_err_set(err, NN_EINPUT, "%s: the grid has more than %d combinations; "
                              "use random search (method = \"random\"; trials = N)", s->file,
                              NN_SW_MAX_CONFIGS);
    }
    long want = s->trials ? s->trials : n;
    if (want * s->repeats > NN_SW_MAX_TRIALS)
        return nn_err_set(err, NN_EINPUT, "%s: %ld configurations times %d repeats is more than %d trials",
                          s->file, want, s->repeats, NN_SW_MAX_TRIALS);
    p->configs = calloc((size_t)want, sizeof *p->configs);
    if (!p->configs)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    int rc = s->trials ? random_configs(s, p, err) : grid_configs(s, p, n, err);
    if (rc == NN_OK)
        layout(s, p);
    return rc;
}

long nn_sw_plan_total(const nn_sweep_spec *s, const nn_sw_plan *p)
{
    long t = 0;
    for (int k = 0; k < p->n_rungs; k++)
        t += (long)p->rung_configs[k] * s->repeats;
    return t;
}

static void trial_id(const nn_sweep_spec *s, const nn_sw_config *c, nn_sw_trial *t)
{
    char *ct = config_text(s, c->values);
    size_t n = (ct ? strlen(ct) : 0) + 64;
    char *full = malloc(n);
    if (full)
        snprintf(full, n, "%srepeat=%d\nepochs=%ld\n", ct ? ct : "", t->repeat, t->epochs);
    uint64_t h = nn_sw_hash(full ? full : "");
    snprintf(t->id, sizeof t->id, "%010llx", (unsigned long long)(h >> 24));
    free(full);
    free(ct);
}

int nn_sw_plan_rung(const nn_sweep_spec *s, nn_sw_plan *p, const int *cfgs, int n, nn_err *err)
{
    int rung = p->planned_rungs;
    if (rung >= p->n_rungs)
        return nn_err_set(err, NN_EINTERNAL, "sweep: no rung %d", rung);
    int need = p->n_trials + n * s->repeats;
    if (need > p->cap) {
        nn_sw_trial *t = realloc(p->trials, (size_t)need * sizeof *t);
        if (!t)
            return nn_err_set(err, NN_ENOMEM, "out of memory");
        p->trials = t;
        p->cap = need;
    }
    p->rung_start[rung] = p->n_trials;
    for (int i = 0; i < n; i++)
        for (int r = 0; r < s->repeats; r++) {
            nn_sw_trial *t = &p->trials[p->n_trials];
            *t = (nn_sw_trial){.cfg = cfgs[i], .repeat = r, .rung = rung, .epochs = p->rung_epochs[rung]};
            trial_id(s, &p->configs[cfgs[i]], t);
            for (int j = 0; j < p->n_trials; j++)
                if (strcmp(p->trials[j].id, t->id) == 0)
                    return nn_err_set(err, NN_EINTERNAL, "sweep: two trials share the id %s", t->id);
            p->n_trials++;
        }
    p->rung_start[rung + 1] = p->n_trials;
    p->planned_rungs++;
    return NN_OK;
}

void nn_sw_plan_free(nn_sw_plan *p)
{
    for (int i = 0; p->configs && i < p->n_configs; i++)
        config_clear(&p->configs[i]);
    free(p->configs);
    free(p->trials);
    memset(p, 0, sizeof *p);
}

/* ---- scores and promotion ---------------------------------------------------------- */

void nn_sw_score_of(const double *v, const int *ok, int n, nn_sw_score *out)
{
    double sum = 0, sq = 0;
    *out = (nn_sw_score){.n = n};
    for (int i = 0; i < n; i++)
        if (ok[i] && isfinite(v[i])) {
            out->n_ok++;
            sum += v[i];
        }
    out->mean = out->n_ok ? sum / out->n_ok : NAN;
    for (int i = 0; i < n; i++)
        if (ok[i] && isfinite(v[i]))
            sq += (v[i] - out->mean) * (v[i] - out->mean);
    out->std = out->n_ok > 1 ? sqrt(sq / (out->n_ok - 1)) : 0;
}

int nn_sw_score_cmp(const nn_sw_score *a, const nn_sw_score *b, int higher_better)
{
    if (a->n_ok != b->n_ok)
        return a->n_ok > b->n_ok ? -1 : 1;
    if (a->n_ok == 0 || a->mean == b->mean)
        return 0;
    return (a->mean > b->mean) == (higher_better != 0) ? -1 : 1;
}

typedef struct ranked {
    int cfg, order;
    nn_sw_score sc;
} ranked;

static int higher_better_flag;

static int by_rank(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    int c = nn_sw_score_cmp(&a->sc, &b->sc, higher_better_flag);
    return c ? c : (a->order > b->order) - (a->order < b->order);
}

int nn_sw_promote(const nn_sw_plan *p, int rung, const nn_sw_outcome *out, int higher_better,
                  int *next, int *n_next)
{
    int a = p->rung_start[rung], b = p->rung_start[rung + 1], n = 0;
    ranked *r = calloc((size_t)(b - a + 1), sizeof *r);
    double *v = malloc((size_t)(b - a + 1) * sizeof *v);
    int *ok = malloc((size_t)(b - a + 1) * sizeof *ok);
    if (!r || !v || !ok) {
        free(r), free(v), free(ok);
        return NN_ENOMEM;
    }
    for (int i = a; i < b;) {
        int cfg = p->trials[i].cfg, k = 0;
        for (; i < b && p->trials[i].cfg == cfg; i++, k++) {
            if (!out[i].done) {
                free(r), free(v), free(ok);
                return NN_EINTERNAL;
            }
            v[k] = out[i].value;
            ok[k] = out[i].ok;
        }
        r[n].cfg = cfg;
        r[n].order = cfg;
        nn_sw_score_of(v, ok, k, &r[n++].sc);
    }
    higher_better_flag = higher_better;
    qsort(r, (size_t)n, sizeof *r, by_rank);
    int want = rung + 1 < p->n_rungs ? p->rung_configs[rung + 1] : 0;
    *n_next = want < n ? want : n;
    for (int i = 0; i < *n_next; i++)
        next[i] = r[i].cfg;
    free(r), free(v), free(ok);
    return NN_OK;
}

/* ---- overrides ------------------------------------------------------------------------ */

static int push(char **ov, int *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int push(char **ov, int *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *o = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (!o)
        return -1;
    va_start(ap, fmt);
    vsnprintf(o, (size_t)len + 1, fmt, ap);
    va_end(ap);
    ov[(*n)++] = o;
    return 0;
}

int nn_sw_trial_overrides(const nn_sweep_spec *s, const nn_sw_plan *p, const nn_sw_trial *t,
                          long threads, char ***out, int *n_out, nn_err *err)
{
    const nn_sw_config *c = &p->configs[t->cfg];
    char **ov = calloc((size_t)(s->n_fixed + s->n_params + s->n_seeded + 4), sizeof(char *));
    int n = 0, bad = !ov;
    for (int i = 0; !bad && i < s->n_fixed; i++)
        bad = push(ov, &n, "%s", s->fixed[i]);
    for (int i = 0; !bad && i < s->n_params; i++)
        bad = push(ov, &n, "%s=%s", s->params[i].key, c->values[i]);
    for (int i = 0; !bad && t->repeat > 0 && i < s->n_seeded; i++) {
        char label[32];
        snprintf(label, sizeof label, "repeat %d", t->repeat);
        uint32_t seed = nn_rng_derive(c->seeds[i], label);
        bad = push(ov, &n, seed > 2147483647u ? "%s.seed=%uL" : "%s.seed=%u", s->seeded[i], seed);
    }
    if (!bad && s->method == NN_SW_HALVING)
        bad = push(ov, &n, "train.epochs=%ld", t->epochs);
    if (!bad)
        bad = push(ov, &n, "name=\"%s_%s\"", s->name, t->id);
    if (!bad && threads > 0)
        bad = push(ov, &n, "train.threads=%ld", threads);
    if (bad) {
        nn_sw_free_overrides(ov, n);
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    }
    *out = ov;
    *n_out = n;
    return NN_OK;
}

void nn_sw_free_overrides(char **ov, int n)
{
    for (int i = 0; ov && i < n; i++)
        free(ov[i]);
    free(ov);
}
