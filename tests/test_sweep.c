/* test_sweep.c: the sweep engine's planner and store: random search draws
 * equal NumPy's (tests/data/sweep_random.txt from gen_sweep_reference.py)
 * and repeat from their seed; grid order, -g axes and stable trial ids;
 * successive halving's rungs and promotions; every bad sweep section is one
 * file:line message; trials.csv round trips; claims exclude each other. */
#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "plan.h"
#include "spec.h"
#include "store.h"

#define REF NN_TEST_DATA "/sweep_random.txt"

static const char *base =
    "name = \"t\"; seed = 1;\n"                                                   /* 1 */
    "data  = { plugin = \"planar\"; shape = \"moons\"; n_train = 20; n_test = 0; };\n" /* 2 */
    "model = { hidden = [4]; };\n"                                                /* 3 */
    "optim = { plugin = \"sgd\"; lr = 0.1; };\n"                                  /* 4 */
    "reg   = ( { plugin = \"l2\"; lambda = 0.1; } );\n"                           /* 5 */
    "train = { epochs = 27; };\n";                                                /* 6 */

/* Writes base + extra to a temp file (path >= 128). */
static void write_exp(char *path, const char *extra)
{
    char text[8192];
    snprintf(text, sizeof text, "%s%s", base, extra);
    tu_temp_file(path, ".cfg", text);
}

static int read_spec(nn_sweep_spec *s, const char *extra, const char *const *fixed, int n_fixed,
                     const char *const *grid, int n_grid, char *path, nn_err *err)
{
    write_exp(path, extra);
    return nn_sw_spec_read(s, path, fixed, n_fixed, grid, n_grid, NULL, err);
}

/* ---- random search -------------------------------------------------------------- */

static const char *random_section =
    "sweep = { method = \"random\"; trials = 40; seed = 7;\n"                      /* 7 */
    "  params = ( { key = \"optim.lr\"; uniform = [0.0, 0.1]; },\n"                /* 8 */
    "             { key = \"train.clip_norm\"; log_uniform = [1e-4, 0.1]; },\n"   /* 9 */
    "             { key = \"train.log_every\"; int = [1, 10]; },\n"               /* 10 */
    "             { key = \"train.batch_size\"; log_int = [16, 512]; },\n"        /* 11 */
    "             { key = \"model.activation\"; choice = (\"relu\", \"tanh\", \"sigmoid\"); } ); };\n";

static void plan_random(const char *const *fixed, int n_fixed, nn_sweep_spec *s, nn_sw_plan *p)
{
    char path[128];
    nn_err err = {{0}};
    int rc = read_spec(s, random_section, fixed, n_fixed, NULL, 0, path, &err);
    if (rc)
        fail_msg("spec: %s", err.msg);
    assert_int_equal(nn_sw_plan_configs(s, p, &err), NN_OK);
    assert_int_equal(p->n_configs, 40);
    unlink(path);
}

static void check_against(const nn_sw_plan *p, int seed)
{
    static const char *const kinds[] = {"uniform", "log_uniform", "int", "log_int", "choice"};
    static const char *const acts[] = {"\"relu\"", "\"tanh\"", "\"sigmoid\""};
    for (int k = 0; k < 5; k++) {
        char name[64];
        snprintf(name, sizeof name, "seed%d_%s", seed, kinds[k]);
        double *want, got[40];
        size_t n = tu_record(REF, name, &want);
        assert_int_equal(n, 40);
        for (int c = 0; c < 40; c++) {
            const char *v = p->configs[c].values[k];
            got[c] = k < 4 ? strtod(v, NULL) : -1;
            for (int a = 0; k == 4 && a < 3; a++)
                if (strcmp(v, acts[a]) == 0)
                    got[c] = a;
        }
        /* uniform, int and choice draws are exact; exp and log are glibc's on both sides */
        tu_compare(name, got, want, 40, k == 1 || k == 3 ? 1e-15 : 0, 1e-300);
        free(want);
    }
}

static void test_random_matches_numpy(void **state)
{
    (void)state;
    nn_sweep_spec s;
    nn_sw_plan p;
    plan_random(NULL, 0, &s, &p);
    check_against(&p, 7);
    nn_sw_plan_free(&p);
    nn_sw_spec_free(&s);
    const char *other[] = {"sweep.seed=8"};
    plan_random(other, 1, &s, &p);
    check_against(&p, 8);
    nn_sw_plan_free(&p);
    nn_sw_spec_free(&s);
}

static void test_random_reproducible(void **state)
{
    (void)state;
    nn_sweep_spec s1, s2, s3;
    nn_sw_plan p1, p2, p3;
    plan_random(NULL, 0, &s1, &p1);
    plan_random(NULL, 0, &s2, &p2);
    const char *other[] = {"sweep.seed=8"};
    plan_random(other, 1, &s3, &p3);
    int same = 0;
    for (int c = 0; c < 40; c++) {
        assert_string_equal(p1.configs[c].hash, p2.configs[c].hash);
        for (int k = 0; k < 5; k++)
            assert_string_equal(p1.configs[c].values[k], p2.configs[c].values[k]);
        same += strcmp(p1.configs[c].values[0], p3.configs[c].values[0]) == 0;
    }
    assert_int_equal(same, 0);
    nn_sw_plan_free(&p1), nn_sw_plan_free(&p2), nn_sw_plan_free(&p3);
    nn_sw_spec_free(&s1), nn_sw_spec_free(&s2), nn_sw_spec_free(&s3);
}

/* ---- grid, -g, ids ---------------------------------------------------------------- */

static int plan_all(nn_sweep_spec *s, nn_sw_plan *p, const char *extra, const char *const *grid,
                    int n_grid)
{
    char path[128];
    nn_err err = {{0}};
    int rc = read_spec(s, extra, NULL, 0, grid, n_grid, path, &err);
    unlink(path);
    if (rc)
        fail_msg("spec: %s", err.msg);
    assert_int_equal(nn_sw_plan_configs(s, p, &err), NN_OK);
    int cfgs[NN_SW_MAX_CONFIGS];
    for (int i = 0; i < p->n_configs; i++)
        cfgs[i] = i;
    assert_int_equal(nn_sw_plan_rung(s, p, cfgs, p->n_configs, &err), NN_OK);
    return p->n_configs;
}

static void test_grid_and_axes(void **state)
{
    (void)state;
    const char *sec = "sweep = { params = ( { key = \"optim.lr\"; values = [0.1, 0.01, 0.001]; },\n"
                      "  { key = \"model.hidden\"; values = ([4], [8, 4]); } ); };\n";
    nn_sweep_spec s;
    nn_sw_plan p;
    assert_int_equal(plan_all(&s, &p, sec, NULL, 0), 6);
    assert_int_equal(s.method, NN_SW_GRID);
    /* the last key changes fastest */
    assert_string_equal(p.configs[0].values[0], "0.1");
    assert_string_equal(p.configs[0].values[1], "[4]");
    assert_string_equal(p.configs[1].values[1], "[8, 4]");
    assert_string_equal(p.configs[2].values[0], "0.01");
    assert_int_equal(p.n_trials, 6);
    char id_001[16];
    snprintf(id_001, sizeof id_001, "%s", p.trials[4].id); /* lr 0.001, [4] */
    nn_sw_plan_free(&p);
    nn_sw_spec_free(&s);
    /* -g replaces the axis of the same key (ids of the shared values stay), or adds one */
    const char *g1[] = {"optim.lr=0.001,1e-4"};
    assert_int_equal(plan_all(&s, &p, sec, g1, 1), 4);
    assert_string_equal(p.configs[2].values[0], "0.0001");
    assert_string_equal(p.trials[0].id, id_001);
    nn_sw_plan_free(&p);
    nn_sw_spec_free(&s);
    const char *g2[] = {"train.batch_size=5,10"};
    assert_int_equal(plan_all(&s, &p, sec, g2, 1), 12);
    assert_int_equal(s.n_params, 3);
    nn_sw_plan_free(&p);
    nn_sw_spec_free(&s);
    /* -g alone, no section */
    const char *g3[] = {"optim.lr=0.1,0.5", "model.hidden=[4],[2, 2]"};
    assert_int_equal(plan_all(&s, &p, "", g3, 2), 4);
    assert_string_equal(p.configs[3].values[1], "[2, 2]");
    nn_sw_plan_free(&p);
    nn_sw_spec_free(&s);
}

static void test_repeats(void **state)
{
    (void)state;
    const char *sec = "sweep = { repeats = 3; params = ( { key = \"optim.lr\"; values = [0.1, 0.2]; } ); };\n";
    nn_sweep_spec s;
    nn_sw_plan p;
    plan_all(&s, &p, sec, NULL, 0);
    assert_int_equal(p.n_trials, 6);
    assert_int_equal(p.trials[2].repeat, 2);
    assert_int_equal(p.trials[3].cfg, 1);
    char **ov;
    int n;
    nn_err err;
    assert_int_equal(nn_sw_trial_overrides(&s, &p, &p.trials[0], 1, &ov, &n, &err), NN_OK);
    for (int i = 0; i < n; i++)
        assert_null(strstr(ov[i], ".seed=")); /* repeat 0 is the experiment as written */
    nn_sw_free_overrides(ov, n);
    assert_int_equal(nn_sw_trial_overrides(&s, &p, &p.trials[1], 0, &ov, &n, &err), NN_OK);
    int seeds = 0;
    for (int i = 0; i < n; i++)
        seeds += strstr(ov[i], "init.seed=") || strstr(ov[i], "train.seed=") ||
                 strstr(ov[i], "optim.seed=") || strstr(ov[i], "reg[0].seed=");
    assert_int_equal(seeds, 4); /* init, optim, train and the one regularizer; not data */
    nn_sw_free_overrides(ov, n);
    nn_sw_plan_free(&p);
    nn_sw_spec_free(&s);
}

/* ---- halving -------------------------------------------------------------------------- */

static void layout_of(const char *sec, int *n_rungs, int *cfgs, long *epochs)
{
    nn_sweep_spec s;
    nn_sw_plan p;
    plan_all(&s, &p, sec, NULL, 0);
    *n_rungs = p.n_rungs;
    for (int k = 0; k < p.n_rungs; k++)
        cfgs[k] = p.rung_configs[k], epochs[k] = p.rung_epochs[k];
    nn_sw_plan_free(&p);
    nn_sw_spec_free(&s);
}

static void test_halving_rungs(void **state)
{
    (void)state;
    int n, c[NN_SW_MAX_RUNGS];
    long e[NN_SW_MAX_RUNGS];
    /* 27 configurations, eta 3, up to train.epochs = 27: 27x1 9x3 3x9 1x27 */
    layout_of("sweep = { method = \"halving\"; trials = 27;\n"
              "  params = ( { key = \"optim.lr\"; log_uniform = [1e-3, 1.0]; } ); };\n", &n, c, e);
    assert_int_equal(n, 4);
    int want_c[] = {27, 9, 3, 1};
    long want_e[] = {1, 3, 9, 27};
    for (int k = 0; k < 4; k++)
        assert_true(c[k] == want_c[k] && e[k] == want_e[k]);
    /* 8 configurations of a grid, eta 2, max 80: 8x10 4x20 2x40 1x80 */
    layout_of("sweep = { method = \"halving\"; eta = 2; max_epochs = 80;\n"
              "  params = ( { key = \"optim.lr\"; values = [1, 2, 3, 4, 5, 6, 7, 8]; } ); };\n", &n, c, e);
    assert_int_equal(n, 4);
    int want_c2[] = {8, 4, 2, 1};
    long want_e2[] = {10, 20, 40, 80};
    for (int k = 0; k < 4; k++)
        assert_true(c[k] == want_c2[k] && e[k] == want_e2[k]);
    /* min_epochs given: 10x5 3x15 1x27 (one left jumps to max_epochs) */
    layout_of("sweep = { method = \"halving\"; min_epochs = 5; trials = 10;\n"
              "  params = ( { key = \"optim.lr\"; uniform = [0.0, 1.0]; } ); };\n", &n, c, e);
    assert_int_equal(n, 3);
    assert_true(c[0] == 10 && e[0] == 5 && c[1] == 3 && e[1] == 15 && c[2] == 1 && e[2] == 27);
}

static void test_halving_promotes(void **state)
{
    (void)state;
    /* 9 configurations x 2 repeats, eta 3 */
    nn_sweep_spec s;
    nn_sw_plan p;
    plan_all(&s, &p, "sweep = { method = \"halving\"; repeats = 2;\n"
             "  params = ( { key = \"optim.lr\"; values = [1, 2, 3, 4, 5, 6, 7, 8, 9]; } ); };\n", NULL, 0);
    assert_int_equal(p.rung_configs[1], 3);
    assert_int_equal(p.n_trials, 18);
    nn_sw_outcome out[18];
    /* means: cfg0 .50, cfg1 .90 (but one repeat failed), cfg2 .70, cfg3 .80,
     * cfg4 .80 (ties cfg3; cfg3 is earlier), cfg5 .60, cfg6 .75, cfg7 .10, cfg8 .79 */
    double v[9][2] = {{.4, .6}, {.9, .9}, {.6, .8}, {.8, .8}, {.7, .9}, {.6, .6}, {.75, .75}, {.1, .1}, {.78, .80}};
    for (int i = 0; i < 18; i++) {
        int cfg = p.trials[i].cfg, r = p.trials[i].repeat;
        out[i] = (nn_sw_outcome){1, !(cfg == 1 && r == 1), v[cfg][r]};
    }
    int next[9], n;
    assert_int_equal(nn_sw_promote(&p, 0, out, 1, next, &n), NN_OK);
    assert_int_equal(n, 3);
    assert_int_equal(next[0], 3);
    assert_int_equal(next[1], 4);
    assert_int_equal(next[2], 8);
    /* lower is better (final_loss): the three smallest means */
    assert_int_equal(nn_sw_promote(&p, 0, out, 0, next, &n), NN_OK);
    assert_int_equal(next[0], 7);
    assert_int_equal(next[1], 0);
    assert_true(next[2] == 5);
    /* the next rung: those configurations at 3x the epochs, with new ids */
    nn_err err;
    assert_int_equal(nn_sw_plan_rung(&s, &p, next, n, &err), NN_OK);
    assert_int_equal(p.n_trials, 24);
    assert_int_equal(p.trials[18].cfg, 7);
    assert_int_equal(p.trials[18].epochs, 3 * p.trials[0].epochs);
    assert_string_not_equal(p.trials[18].id, p.trials[14].id);
    /* an unfinished rung is not promoted */
    out[5].done = 0;
    assert_int_not_equal(nn_sw_promote(&p, 0, out, 1, next, &n), NN_OK);
    nn_sw_plan_free(&p);
    nn_sw_spec_free(&s);
}

/* ---- bad sections ------------------------------------------------------------------------ */

typedef struct bad_case {
    const char *section;
    const char *frags[3];
} bad_case;

static void test_bad_sections(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"sweep = 3;\n", {"@FILE:7: sweep: expected a group"}},
        {"sweep = { methd = \"grid\"; };\n", {"@FILE:7: sweep.methd: unknown key", "did you mean 'method'"}},
        {"sweep = { method = \"bayes\"; };\n", {"@FILE:7: sweep.method: 'bayes' is not one of grid, random, halving"}},
        {"sweep = { trials = 0; };\n", {"@FILE:7: sweep.trials: 0 is outside the allowed range"}},
        {"sweep = { repeats = 2.5; };\n", {"@FILE:7: sweep.repeats: expected an integer"}},
        {"sweep = { metric = \"val_acc\"; };\n", {"@FILE:7: sweep.metric: 'val_acc' is not one of"}},
        {"sweep = { params = ( {\n key = \"optim.lr\"; uniform = [0.1, 0.01]; } ); method = \"random\"; trials = 3; };\n",
         {"@FILE:8: sweep.params[0].uniform: expected lo < hi"}},
        {"sweep = { method = \"random\"; trials = 3; params = (\n { key = \"optim.lr\"; log_uniform = [0.0, 0.1]; } ); };\n",
         {"@FILE:8: sweep.params[0].log_uniform: a log-uniform range needs lo > 0"}},
        {"sweep = { params = (\n { key = \"optim.lr\"; values = [0.1,\n -1.0]; } ); };\n",
         {"@FILE:9: sweep.params[0]: optim.lr = -1.0: -1 is outside the allowed range"}},
        {"sweep = { params = (\n { key = \"optim.lrr\"; values = [0.1]; } ); };\n",
         {"@FILE:8: sweep.params[0]: optim.lrr = 0.1:", "unknown key", "did you mean 'lr'"}},
        {"sweep = { params = (\n { key = \"optim.lr\"; uniform = [0.0, 0.1]; } ); };\n",
         {"@FILE:8: sweep.params[0]: optim.lr: uniform needs a search that draws"}},
        {"sweep = { params = (\n { key = \"optim.lr\"; values = [0.1]; uniform = [0.0, 1.0]; } ); };\n",
         {"@FILE:8: sweep.params[0]: both values and uniform"}},
        {"sweep = { params = (\n { values = [0.1]; } ); };\n", {"@FILE:8: sweep.params[0]: missing key"}},
        {"sweep = { params = ( { key = \"optim.lr\"; values = [0.1]; },\n { key = \"optim.lr\"; values = [0.2]; } ); };\n",
         {"@FILE:8: sweep.params[1]: optim.lr is already varied by sweep.params[0]"}},
        {"sweep = { params = (\n { key = \"model.hidden\"; values = ([4], [4]); } ); };\n",
         {"@FILE:8: sweep.params[0].values: value [4] is listed twice"}},
        {"sweep = { method = \"random\"; trials = 2; params = (\n { key = \"train.batch_size\"; uniform = [1.0, 10.0]; } ); };\n",
         {"@FILE:8: sweep.params[0]: train.batch_size = 1.0:", "expected an integer"}},
        {"sweep = { eta = 3; params = ( { key = \"optim.lr\"; values = [0.1]; } ); };\n",
         {"@FILE:7: sweep.eta: only for method = \"halving\""}},
        {"sweep = { method = \"grid\"; trials = 4; params = ( { key = \"optim.lr\"; values = [0.1]; } ); };\n",
         {"@FILE:7: sweep.trials: a grid runs every combination"}},
        {"sweep = { method = \"halving\"; params = (\n { key = \"train.epochs\"; values = [1, 2]; } ); };\n",
         {"@FILE:8: sweep.params[0]: halving sets train.epochs itself"}},
        {"sweep = { method = \"random\"; trials = 5; params = (\n { key = \"model.activation\"; choice = (\"relu\", \"tanh\"); } ); };\n",
         {"@FILE:7: sweep.trials: 5 distinct configurations cannot be drawn"}},
        {"sweep = { };\n", {"nothing to vary"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[128];
        nn_sweep_spec s;
        nn_err err = {{0}};
        int rc = read_spec(&s, cases[i].section, NULL, 0, NULL, 0, path, &err);
        nn_sw_plan p;
        if (rc == NN_OK)
            rc = nn_sw_plan_configs(&s, &p, &err), nn_sw_plan_free(&p);
        printf("  -> %s\n", err.msg);
        assert_int_equal(rc, NN_EINPUT);
        for (int k = 0; k < 3 && cases[i].frags[k]; k++) {
            const char *f = cases[i].frags[k];
            char buf[512];
            if (strncmp(f, "@FILE", 5) == 0) {
                snprintf(buf, sizeof buf, "%s%s", path, f + 5);
                f = buf;
            }
            if (!strstr(err.msg, f))
                fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, f);
        }
        nn_sw_spec_free(&s);
        unlink(path);
    }
    /* -g problems name the axis */
    static const char *const bad_axes[] = {"optim.lr", "optim.lr=0.1,,0.2", "optim.lr=[1,", "optim.lr=0.1,oops"};
    for (int i = 0; i < 4; i++) {
        char path[128];
        nn_sweep_spec s;
        nn_err err = {{0}};
        const char *g[1] = {bad_axes[i]};
        assert_int_equal(read_spec(&s, "", NULL, 0, g, 1, path, &err), NN_EINPUT);
        printf("  -> %s\n", err.msg);
        assert_non_null(strstr(err.msg, "-g "));
        nn_sw_spec_free(&s);
        unlink(path);
    }
}

/* ---- trials.csv, claims --------------------------------------------------------------------- */

static void test_trials_csv(void **state)
{
    (void)state;
    const char *sec = "sweep = { params = ( { key = \"model.hidden\"; values = ([4], [8, 4]); },\n"
                      "  { key = \"data.shape\"; values = (\"moons\", \"circles\"); } ); };\n";
    nn_sweep_spec s;
    nn_sw_plan p;
    plan_all(&s, &p, sec, NULL, 0);
    char dir[128];
    tu_temp_dir(dir);
    nn_err err;
    nn_sw_result r = {.status = "ok", .train = 0.75, .val = 0.5, .best_val = 0.625, .test = NAN,
                      .loss = 0.125, .seconds = 1.5, .iterations = 40, .grad_evals = 80};
    assert_int_equal(nn_sw_append(dir, &s, &p, &p.trials[1], &r, &err), NN_OK);
    nn_sw_result bad = {.status = "failed", .train = NAN, .val = NAN, .best_val = NAN, .test = NAN,
                        .loss = NAN, .seconds = 0.25, .iterations = -1, .grad_evals = -1,
                        .reason = "it said \"no\",\nthen stopped"};
    assert_int_equal(nn_sw_append(dir, &s, &p, &p.trials[2], &bad, &err), NN_OK);
    /* a torn last line (a power cut mid-write of an older format) is skipped */
    char csv[200];
    snprintf(csv, sizeof csv, "%s/trials.csv", dir);
    FILE *f = fopen(csv, "a");
    fputs("0123456789,abc,0,27,ok,\"[4", f);
    fclose(f);
    nn_sw_table t;
    assert_int_equal(nn_sw_table_read(dir, &t, &err), NN_OK);
    assert_int_equal(t.n_keys, 2);
    assert_string_equal(t.keys[0], "model.hidden");
    assert_int_equal(t.n_rows, 2);
    const nn_sw_row *a = nn_sw_table_find(&t, p.trials[1].id), *b = nn_sw_table_find(&t, p.trials[2].id);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(nn_sw_table_find(&t, p.trials[0].id));
    assert_string_equal(a->values[0], "[4]");
    assert_string_equal(a->values[1], "\"circles\"");
    assert_true(a->r.train == 0.75 && a->r.best_val == 0.625 && isnan(a->r.test) && a->r.iterations == 40);
    assert_true(a->r.grad_evals == 80 && b->r.grad_evals == -1 && b->r.seconds == 0.25);
    assert_string_equal(b->values[0], "[8, 4]");
    assert_string_equal(b->r.reason, "it said \"no\", then stopped");
    assert_string_equal(b->r.status, "failed");
    assert_int_equal(a->epochs, 27);
    nn_sw_table_free(&t);
    /* appending after the torn line keeps every row */
    assert_int_equal(nn_sw_append(dir, &s, &p, &p.trials[3], &r, &err), NN_OK);
    assert_int_equal(nn_sw_table_read(dir, &t, &err), NN_OK);
    assert_int_equal(t.n_rows, 3);
    nn_sw_table_free(&t);
    /* a sweep over other keys is refused */
    nn_sweep_spec s2;
    nn_sw_plan p2;
    plan_all(&s2, &p2, "sweep = { params = ( { key = \"optim.lr\"; values = [0.1]; } ); };\n", NULL, 0);
    assert_int_equal(nn_sw_check_header(dir, &s2, &err), NN_EINPUT);
    printf("  -> %s\n", err.msg);
    assert_int_equal(nn_sw_append(dir, &s2, &p2, &p2.trials[0], &r, &err), NN_EINPUT);
    assert_int_equal(nn_sw_check_header(dir, &s, &err), NN_OK);
    nn_sw_plan_free(&p2);
    nn_sw_spec_free(&s2);
    nn_sw_plan_free(&p);
    nn_sw_spec_free(&s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_claims(void **state)
{
    (void)state;
    char dir[128];
    tu_temp_dir(dir);
    nn_err err;
    nn_sw_claim a, b;
    assert_int_equal(nn_sw_claim_try(dir, "abc", &a, &err), 1);
    assert_int_equal(nn_sw_claim_try(dir, "abc", &b, &err), 0); /* another holder: refused */
    assert_int_equal(nn_sw_claim_try(dir, "def", &b, &err), 1);
    char ids[4][16];
    assert_int_equal(nn_sw_claims_held(dir, ids, 4), 2);
    nn_sw_claim_drop(&a);                                        /* interrupted: free again */
    assert_int_equal(nn_sw_claims_held(dir, ids, 4), 1);
    assert_string_equal(ids[0], "def");
    assert_int_equal(nn_sw_claim_try(dir, "abc", &a, &err), 1);
    nn_sw_claim_release(&a);                                     /* finished: the file goes */
    char path[200];
    snprintf(path, sizeof path, "%s/claims/abc.lock", dir);
    assert_int_equal(access(path, F_OK), -1);
    nn_sw_claim_release(&b);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_matches_numpy),
        cmocka_unit_test(test_random_reproducible),
        cmocka_unit_test(test_grid_and_axes),
        cmocka_unit_test(test_repeats),
        cmocka_unit_test(test_halving_rungs),
        cmocka_unit_test(test_halving_promotes),
        cmocka_unit_test(test_bad_sections),
        cmocka_unit_test(test_trials_csv),
        cmocka_unit_test(test_claims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
