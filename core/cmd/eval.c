/* eval.c: `nnlab eval RUN_DIR [--data FILE] [--predictions DIR] [-q]`: rebuilds
 * the model of a run folder, loads weights/ (and best_weights/ when present)
 * and prints its accuracy on the experiment's data or another file's data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "experiment.h"
#include "data.h"
#include "nnlab/io.h"
#include "predict.h"
#include "report.h"
#include "run.h"
#include "util.h"

typedef struct eval_opts {
    const char *run, *data_file, *pred_dir, *plugin_path;
    int quiet;
} eval_opts;

static const char usage_text[] =
    "usage: nnlab eval RUN_DIR [--data FILE] [--predictions DIR] [-q] [--plugin-path DIR]\n";

static int parse(int argc, char **argv, eval_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            o->data_file = argv[++i];
        else if (strcmp(argv[i], "--predictions") == 0 && i + 1 < argc)
            o->pred_dir = argv[++i];
        else if (strcmp(argv[i], "-q") == 0)
            o->quiet = 1;
        else if (nn_opt_plugin_path(argc, argv, &i, &o->plugin_path))
            continue;
        else if (argv[i][0] != '-' && !o->run)
            o->run = argv[i];
        else {
            fprintf(stderr, "nnlab eval: unexpected argument '%s'\n%s", argv[i], usage_text);
            return 2;
        }
    }
    if (!o->run) {
        fputs(usage_text, stderr);
        return 2;
    }
    return nn_check_plugin_path("eval", o->plugin_path);
}

static int write_preds(nn_model *m, const nn_data *d, const char *dir, nn_err *err)
{
    const nn_split *sp[3] = {&d->train, &d->val, &d->test};
    static const char *const names[3] = {"pred_train.npy", "pred_val.npy", "pred_test.npy"};
    int rc = nn_mkdirs(dir, err);
    for (int s = 0; s < 3 && rc == NN_OK; s++) {
        if (sp[s]->m == 0)
            continue;
        int32_t *pred = malloc(sp[s]->m * sizeof(int32_t));
        if (!pred)
            return nn_err_set(err, NN_ENOMEM, "out of memory for predictions");
        nn_model_predict(m, sp[s]->X, sp[s]->m, d->d, pred, NULL);
        size_t shape[1] = {sp[s]->m};
        rc = nn_npy_write(nn_path_join(dir, names[s]), "<i4", pred, sizeof(int32_t), 1, shape, err);
        free(pred);
    }
    return rc;
}

static void print_accuracy(nn_model *m, const nn_data *d)
{
    const nn_split *sp[3] = {&d->train, &d->val, &d->test};
    static const char *const names[3] = {"train", "validation", "test"};
    for (int s = 0; s < 3; s++)
        if (sp[s]->m)
            printf("%s accuracy: %.4f\n", names[s],
                   nn_model_evaluate(m, sp[s]->X, sp[s]->y, sp[s]->m, d->d).accuracy);
}

/* Loads RUN/<sub> into the model and prints its accuracies; 1 when absent. */
static int eval_weights(nn_model *m, const nn_data *d, const eval_opts *o, const char *sub,
                        nn_err *err)
{
    char dir[4200];
    struct stat st;
    snprintf(dir, sizeof dir, "%s/%s", o->run, sub);
    if (stat(dir, &st) != 0)
        return 1;
    int rc = nn_read_weights(m, m->theta, dir, err);
    if (rc)
        return rc;
    printf("%s: %s\n", sub, dir);
    print_accuracy(m, d);
    if (o->pred_dir && strcmp(sub, "weights") == 0)
        rc = write_preds(m, d, o->pred_dir, err);
    return rc;
}

static int evaluate(const eval_opts *o, const nn_registry *reg, nn_experiment *x, nn_data *d,
                    nn_err *err)
{
    nn_experiment xd;
    const nn_experiment *src = x;
    int rc = NN_OK;
    if (o->data_file) {
        if ((rc = nn_experiment_load(&xd, o->data_file, NULL, 0, reg, err))) {
            if (xd.file[0])
                nn_experiment_free(&xd);
            return rc;
        }
        src = &xd;
    }
    rc = nn_load_data(src, d, o->quiet, err);
    if (o->data_file)
        nn_experiment_free(&xd);
    else if (rc == NN_EINPUT || rc == NN_EIO) /* relative data paths now start at RUN_DIR */
        snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
                 " (data files are looked up from the run folder; --data EXPERIMENT_FILE reads them "
                 "as the experiment does)");
    nn_model m;
    if (rc || (rc = nn_build_model(x, d, 256, &m, err)))
        return rc;
    rc = eval_weights(&m, d, o, "weights", err);
    if (rc == 1)
        rc = nn_err_set(err, NN_EINPUT, "%s: no weights/ folder (was output.weights off?)", o->run);
    if (rc == NN_OK && (rc = eval_weights(&m, d, o, "best_weights", err)) == 1)
        rc = NN_OK;
    nn_model_free(&m);
    return rc;
}

int nn_cmd_eval(int argc, char **argv)
{
    eval_opts o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc;
    nn_registry reg;
    nn_registry_init(&reg, o.plugin_path);
    nn_experiment x;
    nn_data d;
    memset(&d, 0, sizeof d);
    nn_err err = {{0}};
    char cfg[4200];
    snprintf(cfg, sizeof cfg, "%s/config.cfg", o.run);
    rc = nn_experiment_load(&x, cfg, NULL, 0, &reg, &err);
    if (rc == NN_OK)
        rc = evaluate(&o, &reg, &x, &d, &err);
    nn_data_free(&d);
    if (x.file[0])
        nn_experiment_free(&x);
    if (rc)
        fprintf(stderr, "nnlab: %s\n", err.msg);
    nn_registry_free(&reg);
    return nn_exit_status(rc);
}
