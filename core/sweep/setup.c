/* setup.c: a sweep checked and planned before anything runs (every
 * configuration tried against the experiment), its plan printed for
 * --dry-run, and its folder opened: see driver.h. */
#include "driver.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnlab/io.h"
#include "util.h"

static int validate_configs(nn_sw_ctx *c, nn_err *err)
{
    for (int k = 0; k < c->p.n_configs; k++) {
        nn_sw_config *cf = &c->p.configs[k];
        char *ov[NN_SW_MAX_PARAMS];
        int rc = NN_OK;
        for (int i = 0; i < c->s.n_params; i++) {
            size_t n = strlen(c->s.params[i].key) + strlen(cf->values[i]) + 2;
            if ((ov[i] = malloc(n)))
                snprintf(ov[i], n, "%s=%s", c->s.params[i].key, cf->values[i]);
            else
                rc = NN_ENOMEM;
        }
        nn_err e;
        if (rc == NN_OK)
            rc = nn_sw_spec_try(&c->s, (const char *const *)ov, c->s.n_params, cf->seeds, &e);
        for (int i = 0; i < c->s.n_params; i++)
            free(ov[i]);
        if (rc) {
            char what[1024] = "";
            size_t len = 0;
            for (int i = 0; i < c->s.n_params; i++)
                len += (size_t)snprintf(what + len, len < sizeof what ? sizeof what - len : 0, "%s%s = %s",
                                        i ? ", " : "", c->s.params[i].key, cf->values[i]);
            return nn_err_set(err, rc == NN_ENOMEM ? rc : NN_EINPUT, "%s: sweep: configuration %s (%s): %s",
                              c->s.file, cf->hash, what, e.msg);
        }
    }
    /* one trial's whole override list (name, seeds, epochs, threads) */
    char **ov = NULL;
    int n = 0;
    int rc = nn_sw_trial_overrides(&c->s, &c->p, &c->p.trials[c->p.n_trials - 1], c->threads, &ov, &n, err);
    nn_err e;
    if (rc == NN_OK && nn_sw_spec_try(&c->s, (const char *const *)ov + c->s.n_fixed, n - c->s.n_fixed, NULL, &e) != NN_OK)
        rc = nn_err_set(err, NN_EINPUT, "%s: sweep: a trial's settings are refused: %s", c->s.file, e.msg);
    nn_sw_free_overrides(ov, n);
    return rc;
}

void nn_sw_print_plan(const nn_sw_ctx *c, FILE *f)
{
    fprintf(f, "sweep of %s: %s search, %d configurations x %d seed%s = %ld trials", c->s.name,
            nn_sw_method_name(c->s.method), c->p.n_configs, c->s.repeats, c->s.repeats == 1 ? "" : "s",
            nn_sw_plan_total(&c->s, &c->p));
    if (c->s.method == NN_SW_HALVING) {
        fputs(" in rungs of", f);
        for (int k = 0; k < c->p.n_rungs; k++)
            fprintf(f, " %dx%ld", c->p.rung_configs[k], c->p.rung_epochs[k]);
        fputs(" (configurations x epochs)", f);
    }
    fputs("\n\ntrial,config,repeat,epochs", f);
    for (int i = 0; i < c->s.n_params; i++)
        fprintf(f, ",%s", c->s.params[i].key);
    fputc('\n', f);
    for (int t = 0; t < c->p.n_trials; t++) {
        const nn_sw_trial *tr = &c->p.trials[t];
        fprintf(f, "%s,%s,%d,%ld,", tr->id, c->p.configs[tr->cfg].hash, tr->repeat, tr->epochs);
        for (int i = 0; i < c->s.n_params; i++)
            nn_sw_csv_field(f, c->p.configs[tr->cfg].values[i], i == c->s.n_params - 1);
    }
}

/* The folder holds this experiment's sweep, or nothing yet: its
 * experiment.cfg (the resolved experiment, less its first comment line)
 * must be the same. */
static int check_folder(nn_sw_ctx *c, nn_err *err)
{
    char have[4300], mine[4300];
    snprintf(have, sizeof have, "%s/experiment.cfg", c->dir);
    if (!nn_file_exists(have))
        return nn_sw_spec_write_base(&c->s, have, err);
    snprintf(mine, sizeof mine, "%s/.experiment.cfg.%ld", c->dir, (long)getpid());
    int rc = nn_sw_spec_write_base(&c->s, mine, err);
    char *a = rc ? NULL : nn_read_text(have), *b = rc ? NULL : nn_read_text(mine);
    unlink(mine);
    const char *pa = a ? strchr(a, '\n') : NULL, *pb = b ? strchr(b, '\n') : NULL;
    if (rc == NN_OK && (!pa || !pb || strcmp(pa, pb) != 0)) {
        const char *x = pa, *y = pb;
        int line = 2;
        for (; x && y && *x && *x == *y; x++, y++)
            line += *x == '\n';
        rc = nn_err_set(err, NN_EINPUT, "%s: this folder holds a sweep of a different experiment "
                        "(its experiment.cfg differs from %s with these -s settings at line %d); "
                        "use another -o DIR, or remove the folder to start again", c->dir, c->s.file, line - 1);
    }
    free(a);
    free(b);
    return rc ? rc : nn_sw_check_header(c->dir, &c->s, err);
}

int nn_sw_setup(nn_sw_ctx *c, nn_err *err)
{
    const nn_sweep_opts *o = c->o;
    int rc = nn_sw_spec_read(&c->s, o->file, o->fixed, o->n_fixed, o->grid, o->n_grid, o->plugin_path, err);
    if (rc == NN_OK)
        rc = nn_sw_plan_configs(&c->s, &c->p, err);
    int *cfgs = rc ? NULL : malloc((size_t)c->p.n_configs * sizeof(int));
    for (int k = 0; cfgs && k < c->p.n_configs; k++)
        cfgs[k] = k;
    if (rc == NN_OK && !cfgs)
        rc = nn_err_set(err, NN_ENOMEM, "out of memory");
    if (rc == NN_OK)
        rc = nn_sw_plan_rung(&c->s, &c->p, cfgs, c->p.n_configs, err);
    free(cfgs);
    int local = o->mpi ? o->mpi->local_size : 1;
    c->jobs_max = o->jobs > 0 ? o->jobs : o->mpi ? 1 : nn_sw_cpus();
    c->threads = c->s.base_threads == 0 ? (nn_sw_cpus() / (c->jobs_max * local) > 1 ? nn_sw_cpus() / (c->jobs_max * local) : 1) : 0;
    if (rc == NN_OK)
        rc = validate_configs(c, err);
    char *abs = rc ? NULL : realpath(o->file, NULL);
    snprintf(c->file, sizeof c->file, "%s", abs ? abs : o->file);
    free(abs);
    return rc;
}

int nn_sw_open_folder(nn_sw_ctx *c, nn_err *err)
{
    if (c->o->out)
        snprintf(c->dir, sizeof c->dir, "%s", c->o->out);
    else
        snprintf(c->dir, sizeof c->dir, "runs/%s_sweep", c->s.name);
    int rc = nn_mkdirs(c->dir, err);
    if (rc == NN_OK)
        rc = check_folder(c, err);
    c->launched = rc ? NULL : calloc((size_t)nn_sw_plan_total(&c->s, &c->p) + 1, 1);
    if (rc == NN_OK && !c->launched)
        rc = nn_err_set(err, NN_ENOMEM, "out of memory");
    nn_sw_meta_of(&c->s, &c->p, &c->meta);
    if (rc == NN_OK)
        rc = nn_sw_meta_write(c->dir, &c->meta, err);
    if (rc == NN_OK)
        rc = nn_sw_plan_write(c->dir, &c->s, &c->p, err);
    if (rc == NN_OK)
        rc = nn_sw_refresh(c, 1, err);
    return rc;
}
