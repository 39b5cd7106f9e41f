/* figures.h: which figures a run folder gets (the policy; the drawing is in
 * plot.c and plot_model.c). */
#ifndef NN_FIGURES_H
#define NN_FIGURES_H

#include "experiment.h"
#include "train.h"

/* When output.plots is on: loss.png, accuracy.png when accuracy was
 * measured, and for a run that neither diverged nor failed
 * decision_boundary.png (2-D data) and misclassified.png (image data). Those
 * two show the model the test accuracy was measured on: the best parameters
 * when there are some and a test split, else the final model; the model's
 * parameters are as they were when it returns. */
int nn_plots_write(const nn_experiment *x, const nn_data *data, nn_trainer *t, const char *dir,
                   nn_err *err);

#endif
