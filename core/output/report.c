/* report.c: metrics.csv, summary.json and the progress line. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "nnlab/io.h"
#include "util.h"

void nn_report_fill(nn_report *r, const nn_experiment *x, const nn_data *data, nn_model *m,
                    nn_trainer *t)
{
    memset(r, 0, sizeof *r);
    r->status = t->diverged ? "diverged" : t->failed ? "failed" : "ok";
    r->error = t->diverged || t->failed ? t->diverged_msg : NULL;
    nn_real *own = nn_trainer_use(t, NN_USE_FINAL);
    r->train_acc = nn_model_evaluate(m, data->train.X, data->train.y, data->train.m, data->d).accuracy;
    r->has_val = data->val.m > 0;
    r->has_test = data->test.m > 0;
    r->test_model = "final";
    if (r->has_val)
        r->val_acc = nn_model_evaluate(m, data->val.X, data->val.y, data->val.m, data->d).accuracy;
    nn_trainer_unuse(t, own);
    if (r->has_test) {
        own = nn_trainer_use(t, NN_USE_BEST);
        r->test_model = t->has_best ? "best" : "final";
        nn_eval te = nn_model_evaluate(m, data->test.X, data->test.y, data->test.m, data->d);
        r->test_acc = te.accuracy;
        r->test_loss = te.loss;
        nn_trainer_unuse(t, own);
    }
    r->best_val_acc = t->has_best ? t->best_val : NAN;
    r->best_epoch = t->has_best ? t->best_epoch : -1;
    r->final_loss = t->final_loss;
    r->iterations = t->iteration;
    r->gradient_evaluations = t->grad_evals;
    r->epochs = t->epochs_done;
    r->seconds = t->seconds;
    r->examples_per_second = t->seconds > 0 ? (double)t->epochs_done * (double)data->train.m / t->seconds : 0;
}

/* A CSV cell: empty when not measured (NAN). */
static void csv_num(FILE *f, double v, int last)
{
    if (!isnan(v))
        fprintf(f, "%.17g", v);
    fputc(last ? '\n' : ',', f);
}

static int write_metrics(const nn_trainer *t, const char *path, nn_err *err)
{
    nn_atomic a;
    int rc = nn_atomic_open(&a, path, err);
    if (rc)
        return rc;
    fputs("epoch,iteration,loss,train_accuracy,val_accuracy,lr,seconds,val_loss\n", a.f);
    for (long i = 0; i < t->n_rows; i++) {
        const nn_metric_row *r = &t->rows[i];
        fprintf(a.f, "%ld,%ld,", r->epoch, r->iteration);
        if (isnan(r->loss))
            fputs("nan,", a.f);
        else
            csv_num(a.f, r->loss, 0);
        csv_num(a.f, r->train_acc, 0);
        csv_num(a.f, r->val_acc, 0);
        csv_num(a.f, r->lr, 0);
        csv_num(a.f, r->seconds, 0);
        csv_num(a.f, r->val_loss, 1);
    }
    return nn_atomic_commit(&a, err);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_num(FILE *f, const char *key, double v, int has)
{
    fprintf(f, ",\n  \"%s\": ", key);
    if (has && isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

/* The plugins with their resolved hyperparameters. */
static void json_section(FILE *f, const nn_section *s)
{
    fputs("{\"plugin\": ", f);
    json_str(f, s->plugin.desc ? s->plugin.desc->name : "");
    fprintf(f, ", \"seed\": %u", s->seed);
    for (int i = 0; i < s->n_decls; i++) {
        const nn_param_decl *p = &s->decls[i];
        const nn_value *v = &s->values[i];
        fprintf(f, ", \"%s\": ", p->name);
        switch (p->type) {
        case NN_T_REAL: fprintf(f, "%.17g", v->r); break;
        case NN_T_INT: fprintf(f, "%ld", v->i); break;
        case NN_T_BOOL: fputs(v->i ? "true" : "false", f); break;
        case NN_T_STRING:
        case NN_T_ENUM: json_str(f, v->s); break;
        default:
            fputc('[', f);
            for (int k = 0; k < v->n; k++) {
                fputs(k ? ", " : "", f);
                if (p->type == NN_T_INTLIST) fprintf(f, "%ld", v->ints[k]);
                else if (p->type == NN_T_REALLIST) fprintf(f, "%.17g", v->reals[k]);
                else json_str(f, v->strs[k]);
            }
            fputc(']', f);
        }
    }
    fputc('}', f);
}

static int write_summary(const nn_report *r, const nn_experiment *x, const nn_model *m,
                         const char *path, nn_err *err)
{
    nn_atomic a;
    int rc = nn_atomic_open(&a, path, err);
    if (rc)
        return rc;
    FILE *f = a.f;
    fputs("{\n  \"name\": ", f);
    json_str(f, x->name);
    fprintf(f, ",\n  \"seed\": %u,\n  \"status\": ", x->seed);
    json_str(f, r->status);
    if (r->error && r->error[0]) {
        fputs(",\n  \"error\": ", f);
        json_str(f, r->error);
    }
    json_num(f, "train_accuracy", r->train_acc, 1);
    json_num(f, "val_accuracy", r->val_acc, r->has_val);
    json_num(f, "test_accuracy", r->test_acc, r->has_test);
    json_num(f, "test_loss", r->test_loss, r->has_test);
    fputs(",\n  \"test_model\": ", f);
    json_str(f, r->has_test ? r->test_model : "");
    json_num(f, "best_val_accuracy", r->best_val_acc, r->has_val);
    fprintf(f, ",\n  \"best_epoch\": %ld", r->best_epoch);
    json_num(f, "final_loss", r->final_loss, 1);
    fprintf(f, ",\n  \"iterations\": %ld,\n  \"gradient_evaluations\": %ld,\n  \"epochs\": %ld",
            r->iterations, r->gradient_evaluations, r->epochs);
    json_num(f, "seconds", r->seconds, 1);
    json_num(f, "examples_per_second", r->examples_per_second, 1);
    /* the process's peak resident memory so far (data, model, training) */
    struct rusage ru;
    fprintf(f, ",\n  \"peak_rss_mib\": %.1f",
            getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : 0.0);
    fprintf(f, ",\n  \"parameters\": %zu,\n  \"layers\": [", m->n_params);
    for (int l = 0; l <= m->spec.n_layers; l++)
        fprintf(f, "%s%d", l ? ", " : "", m->spec.sizes[l]);
    fprintf(f, "],\n  \"activation\": \"%s\",\n  \"leaky_slope\": %.17g,\n  \"output\": \"%s\"",
            nn_act_names[m->spec.act], m->spec.leaky_slope,
            nn_output_names[m->spec.out == NN_OUT_SIGMOID ? NN_OUTPUT_SIGMOID : NN_OUTPUT_SOFTMAX]);
    fputs(",\n  \"plugins\": {\n    \"data\": ", f);
    json_section(f, &x->data);
    fputs(",\n    \"init\": ", f);
    json_section(f, &x->init);
    fputs(",\n    \"optim\": ", f);
    json_section(f, &x->optim);
    fputs(",\n    \"reg\": [", f);
    for (int i = 0; i < x->n_reg; i++) {
        fputs(i ? ", " : "", f);
        json_section(f, &x->reg[i]);
    }
    fputs("]\n  }", f);
    nn_report_versions(f);
    fputs("\n}\n", f);
    return nn_atomic_commit(&a, err);
}

int nn_report_write_metrics(const nn_trainer *t, const char *dir, nn_err *err)
{
    return write_metrics(t, nn_path_join(dir, "metrics.csv"), err);
}

int nn_report_write_summary(const nn_report *r, const nn_experiment *x, const nn_model *m,
                            const char *dir, nn_err *err)
{
    return write_summary(r, x, m, nn_path_join(dir, "summary.json"), err);
}

/* ---- progress --------------------------------------------------------------- */

static struct {
    int on;
    long epochs;
    double t0, last;
    int shown;
} prog;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void nn_progress_begin(long epochs, int quiet)
{
    prog.on = !quiet && isatty(STDERR_FILENO);
    prog.epochs = epochs;
    prog.t0 = prog.last = mono();
    prog.shown = 0;
}

void nn_progress_update(long epoch, long iteration, double loss)
{
    if (!prog.on)
        return;
    double t = mono();
    if (t - prog.last < 0.2)
        return;
    prog.last = t;
    double el = t - prog.t0, frac = (double)(epoch + 1) / (double)prog.epochs;
    double eta = frac > 0 ? el / frac - el : 0;
    fprintf(stderr, "\r\033[Kepoch %ld/%ld  iteration %ld  loss %.6f  %.0f it/s  ETA %.0fs", epoch + 1,
            prog.epochs, iteration, loss, el > 0 ? (double)iteration / el : 0.0, eta);
    fflush(stderr);
    prog.shown = 1;
}

void nn_progress_clear(void)
{
    if (prog.on && prog.shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        prog.shown = 0;
    }
}
