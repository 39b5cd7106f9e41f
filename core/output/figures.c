/* figures.c: the figures of a run folder, chosen from the run's options,
 * its data and its logged rows. */
#include "figures.h"

#include <math.h>
#include <stdio.h>

#include "plot.h"
#include "util.h"

static int any_accuracy(const nn_trainer *t)
{
    for (long i = 0; i < t->n_rows; i++)
        if (isfinite(t->rows[i].train_acc) || isfinite(t->rows[i].val_acc))
            return 1;
    return 0;
}

static int has_images(const nn_data *d)
{
    return d->height > 0 && ((d->test.m && d->test.images) || (d->val.m && d->val.images));
}

/* Decision boundary and misclassified images on the model the test accuracy
 * was measured on (the best one when there is a test split, as
 * nn_report_fill; the final one otherwise). */
static int model_figures(const nn_experiment *x, const nn_data *d, nn_trainer *t, const char *dir,
                         nn_err *err)
{
    nn_real *own = nn_trainer_use(t, d->test.m ? NN_USE_BEST : NN_USE_FINAL);
    int rc = NN_OK;
    if (d->d == 2)
        rc = nn_plot_decision_boundary(nn_path_join(dir, "decision_boundary.png"), t->model, d,
                                       x->name, err);
    if (rc == NN_OK && has_images(d))
        rc = nn_plot_misclassified(nn_path_join(dir, "misclassified.png"), t->model, d, x->name, err);
    nn_trainer_unuse(t, own);
    return rc;
}

int nn_plots_write(const nn_experiment *x, const nn_data *data, nn_trainer *t, const char *dir,
                   nn_err *err)
{
    if (!x->opts.output.plots)
        return NN_OK;
    nn_series s = {x->name, t->rows, t->n_rows};
    char title[512];
    snprintf(title, sizeof title, "%s: loss", x->name);
    int rc = nn_plot_loss(nn_path_join(dir, "loss.png"), &s, 1, title, x->opts.output.log_scale, err);
    snprintf(title, sizeof title, "%s: accuracy", x->name);
    if (rc == NN_OK && any_accuracy(t))
        rc = nn_plot_accuracy(nn_path_join(dir, "accuracy.png"), &s, 1, title, err);
    if (rc == NN_OK && !t->diverged && !t->failed)
        rc = model_figures(x, data, t, dir, err);
    return rc;
}
