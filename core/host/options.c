/* options.c: the core's own option tables (Redis style: one row per option)
 * for the model, train, output and optim.schedule sections. */
#include "options.h"

const nn_param_decl nn_model_params[] = {
    {"hidden", NN_T_INTLIST, 0, "[]", 1, 1e6, NULL, "hidden layer sizes, e.g. [10, 5]"},
    {"activation", NN_T_STRING, 0, "relu", 0, 0, "relu|leaky_relu|tanh|sigmoid", "hidden activation"},
    {"leaky_slope", NN_T_REAL, 0.01, NULL, 0, 1, NULL, "negative slope of leaky_relu"},
    {"output", NN_T_STRING, 0, "auto", 0, 0, "auto|sigmoid|softmax",
     "output layer: sigmoid + binary cross-entropy, softmax + cross-entropy, auto by class count"},
};
const int nn_model_n_params = NN_ARRAY_LEN(nn_model_params);

const nn_param_decl nn_train_params[] = {
    {"epochs", NN_T_INT, 100, NULL, 1, 1e9, NULL, "passes over the training set (full batch: iterations)"},
    {"batch_size", NN_T_INT, 0, NULL, 0, 1e9, NULL, "examples per step; 0 = full batch"},
    {"log_every", NN_T_INT, 100, NULL, 1, 1e9, NULL, "log and record metrics every N epochs"},
    {"shuffle", NN_T_STRING, 0, "stream", 0, 0, "stream|reseed|none",
     "mini-batch order: one seeded stream; reseed with train.seed + epoch + 1 each epoch (the notebooks); none"},
    {"val_every", NN_T_INT, 1, NULL, 1, 1e9, NULL, "measure validation accuracy every N epochs (best-model tracking)"},
    {"clip_norm", NN_T_REAL, 0, NULL, 0, 1e300, NULL, "clip the global gradient norm to this value; 0 = off"},
    {"clip_value", NN_T_REAL, 0, NULL, 0, 1e300, NULL, "clip each gradient element to [-v, v]; 0 = off"},
    {"threads", NN_T_INT, 0, NULL, 0, 1024, NULL, "BLAS and data threads; 0 = library default"},
};
const int nn_train_n_params = NN_ARRAY_LEN(nn_train_params);

const nn_param_decl nn_output_params[] = {
    {"dir", NN_T_STRING, 0, "", 0, 0, NULL, "run folder; empty = runs/<name>"},
    {"plots", NN_T_BOOL, 1, NULL, 0, 1, NULL, "write plots into the run folder"},
    {"log_scale", NN_T_BOOL, 0, NULL, 0, 1, NULL, "loss plot on a logarithmic y axis"},
    {"weights", NN_T_BOOL, 1, NULL, 0, 1, NULL, "write initial, final and best weights as .npy"},
};
const int nn_output_n_params = NN_ARRAY_LEN(nn_output_params);

#define NN_BIG 1e9

const nn_param_decl nn_schedule_params[] = {
    {"type", NN_T_STRING, 0, "constant", 0, 0,
     "constant|step|exponential|inverse_time|cosine|plateau", "schedule kind"},
    {"per_epoch", NN_T_BOOL, 1, NULL, 0, 1, NULL,
     "t counts epochs (true) or iterations (false); plateau is per epoch"},
    {"step_size", NN_T_INT, 10, NULL, 1, NN_BIG, NULL,
     "step: multiply by gamma every step_size units of t (StepLR)"},
    {"gamma", NN_T_REAL, 0.1, NULL, 0, 1, NULL,
     "step, exponential: decay factor; exponential is lr0 * gamma^t"},
    {"decay_rate", NN_T_REAL, 1, NULL, 0, 1e6, NULL,
     "inverse_time: lr0 / (1 + decay_rate * t / decay_steps)"},
    {"decay_steps", NN_T_INT, 1, NULL, 1, NN_BIG, NULL,
     "inverse_time: units of t per decay_rate (the course's time_interval)"},
    {"staircase", NN_T_BOOL, 0, NULL, 0, 1, NULL,
     "inverse_time: use floor(t / decay_steps) (the course's schedule_lr_decay)"},
    {"t_max", NN_T_INT, 100, NULL, 1, NN_BIG, NULL,
     "cosine: half period, counted after the warm-up (CosineAnnealingLR)"},
    {"eta_min", NN_T_REAL, 0, NULL, 0, 10, NULL, "cosine: lowest learning rate"},
    {"warmup", NN_T_INT, 0, NULL, 0, NN_BIG, NULL,
     "linear warm-up length in units of t; the schedule starts after it"},
    {"warmup_start_factor", NN_T_REAL, 1.0 / 3, NULL, 0, 1, NULL,
     "warm-up starts at lr0 * this and rises linearly to lr0 (LinearLR)"},
    {"monitor", NN_T_STRING, 0, "val_loss", 0, 0, "val_loss|val_accuracy",
     "plateau: metric observed at the end of each epoch"},
    {"mode", NN_T_STRING, 0, "auto", 0, 0, "auto|min|max",
     "plateau: min or max is better; auto = min for val_loss, max for val_accuracy"},
    {"factor", NN_T_REAL, 0.1, NULL, 0, 1, NULL, "plateau: lr *= factor on a plateau"},
    {"patience", NN_T_INT, 10, NULL, 0, NN_BIG, NULL,
     "plateau: epochs without improvement tolerated before reducing"},
    {"threshold", NN_T_REAL, 1e-4, NULL, 0, 1e6, NULL,
     "plateau: least change that counts as an improvement"},
    {"threshold_mode", NN_T_STRING, 0, "rel", 0, 0, "rel|abs",
     "plateau: threshold relative to the best value or absolute"},
    {"cooldown", NN_T_INT, 0, NULL, 0, NN_BIG, NULL,
     "plateau: epochs to wait after a reduction before counting again"},
    {"min_lr", NN_T_REAL, 0, NULL, 0, 10, NULL, "plateau: lower bound of the lr"},
    {"eps", NN_T_REAL, 1e-8, NULL, 0, 1, NULL,
     "plateau: a reduction smaller than this is skipped"},
};
const int nn_schedule_n_params = NN_ARRAY_LEN(nn_schedule_params);
