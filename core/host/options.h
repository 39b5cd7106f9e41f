/* options.h: the core's own option tables: model, train, output and
 * optim.schedule (the order of nn_schedule_params is the order of the
 * nn_value array nn_schedule_init takes). */
#ifndef NN_OPTIONS_H
#define NN_OPTIONS_H

#include "nnlab/plugin.h"

extern const nn_param_decl nn_model_params[];
extern const int nn_model_n_params;
extern const nn_param_decl nn_train_params[];
extern const int nn_train_n_params;
extern const nn_param_decl nn_output_params[];
extern const int nn_output_n_params;
extern const nn_param_decl nn_schedule_params[];
extern const int nn_schedule_n_params;

#endif
