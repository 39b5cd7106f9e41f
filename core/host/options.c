/* options.c: the core's option tables (Redis style: one row per option,
 * bound to the field it fills) for the model, train, output and
 * optim.schedule sections, the names of every set of choices, and binding
 * resolved values into the typed structs of options.h.
 *
 * A row is R(field, type, default, default text, min, max, choices, doc):
 * the option's key is the name of the field it fills. Each section's rows
 * expand twice: into its nn_param_decl array (what the reader checks) and
 * into the offsets of the fields. An enum row (NN_ENUM_ROW) takes its
 * choices from the list and its default as an enum constant. */
#include "options.h"

#include <string.h>

#include "decls.h"

const char *const nn_act_names[] = {NN_ACTIVATION_LIST(NN_NAME_ITEM)};
const char *const nn_output_names[] = {NN_OUTPUT_LIST(NN_NAME_ITEM)};
const char *const nn_shuffle_names[] = {NN_SHUFFLE_LIST(NN_NAME_ITEM)};
const char *const nn_train_accuracy_names[] = {NN_TRAIN_ACCURACY_LIST(NN_NAME_ITEM)};
const char *const nn_schedule_type_names[] = {NN_SCHEDULE_TYPE_LIST(NN_NAME_ITEM)};
const char *const nn_monitor_names[] = {NN_MONITOR_LIST(NN_NAME_ITEM)};
const char *const nn_plateau_mode_names[] = {NN_PLATEAU_MODE_LIST(NN_NAME_ITEM)};
const char *const nn_threshold_mode_names[] = {NN_THRESHOLD_MODE_LIST(NN_NAME_ITEM)};

/* Enums are bound as nn_act-sized integers. */
_Static_assert(sizeof(nn_output_kind) == sizeof(nn_act) && sizeof(nn_shuffle) == sizeof(nn_act) &&
                   sizeof(nn_schedule_type) == sizeof(nn_act) && sizeof(nn_monitor) == sizeof(nn_act) &&
                   sizeof(nn_plateau_mode) == sizeof(nn_act) && sizeof(nn_threshold_mode) == sizeof(nn_act) &&
                   sizeof(nn_train_accuracy) == sizeof(nn_act),
               "every option enum has one size");

/* type, default, default text, min, max, choices of an enum row */
#define NN_ENUM_ROW(LIST, def) \
    NN_T_ENUM, def, NULL, 0, NN_COUNT(LIST) - 1, NN_CHOICES(LIST)

#define NN_BIG 1e9

/* ---- model ------------------------------------------------------------------- */

#define MODEL_ROWS(R)                                                                        \
    R(hidden, NN_T_INTLIST, 0, "[]", 1, 1e6, NULL,                                            \
      "hidden layer sizes, e.g. [10, 5]; [] (the default): none, logistic regression")        \
    R(activation, NN_ENUM_ROW(NN_ACTIVATION_LIST, NN_ACT_RELU), "hidden activation")         \
    R(leaky_slope, NN_T_REAL, 0.01, NULL, 0, 1, NULL, "negative slope of leaky_relu")        \
    R(output, NN_ENUM_ROW(NN_OUTPUT_LIST, NN_OUTPUT_AUTO),                                      \
      "output layer: sigmoid + binary cross-entropy, softmax + cross-entropy, auto by class count")

/* ---- train ------------------------------------------------------------------- */

#define TRAIN_ROWS(R)                                                                        \
    R(epochs, NN_T_INT, 100, NULL, 1, 1e9, NULL,                                             \
      "passes over the training set (full batch: iterations)")                               \
    R(batch_size, NN_T_INT, 0, NULL, 0, 1e9, NULL, "examples per step; 0 = full batch")      \
    R(log_every, NN_T_INT, 100, NULL, 1, 1e9, NULL, "log and record metrics every N epochs") \
    R(shuffle, NN_ENUM_ROW(NN_SHUFFLE_LIST, NN_SHUFFLE_STREAM),                              \
      "mini-batch order: one seeded stream; reseed with train.seed + epoch + 1 each epoch "  \
      "(the notebooks); none")                                                               \
    R(val_every, NN_T_INT, 1, NULL, 1, 1e9, NULL,                                            \
      "measure validation accuracy every N epochs (best-model tracking)")                    \
    R(clip_norm, NN_T_REAL, 0, NULL, 0, 1e300, NULL,                                         \
      "clip the global gradient norm to this value; 0 = off")                                \
    R(clip_value, NN_T_REAL, 0, NULL, 0, 1e300, NULL,                                        \
      "clip each gradient element to [-v, v]; 0 = off")                                      \
    R(threads, NN_T_INT, 0, NULL, 0, 1024, NULL, "BLAS and data threads; 0 = library default")   \
    R(train_accuracy, NN_ENUM_ROW(NN_TRAIN_ACCURACY_LIST, NN_TRAIN_ACC_FULL),                  \
      "logged training accuracy: full = a pass over the training set after the epoch (final "  \
      "weights); batches = the epoch's own training forward passes (weights of each step, "    \
      "dropout active), no extra pass")                                                       \
    R(checkpoint_every, NN_T_INT, 0, NULL, 0, 1e9, NULL,                                      \
      "write checkpoint/ every N epochs (nnlab run --resume continues from it); 0 = only "     \
      "when stopped by SIGINT or SIGTERM")

/* ---- output ------------------------------------------------------------------ */

#define OUTPUT_ROWS(R)                                                                       \
    R(dir, NN_T_STRING, 0, "", 0, 0, NULL, "run folder; empty = runs/<name>")                \
    R(plots, NN_T_BOOL, 1, NULL, 0, 1, NULL, "write plots into the run folder")              \
    R(log_scale, NN_T_BOOL, 0, NULL, 0, 1, NULL, "loss plot on a logarithmic y axis")        \
    R(weights, NN_T_BOOL, 1, NULL, 0, 1, NULL, "write initial, final and best weights as .npy")

/* ---- optim.schedule ------------------------------------------------------------ */

#define SCHEDULE_ROWS(R)                                                                     \
    R(type, NN_ENUM_ROW(NN_SCHEDULE_TYPE_LIST, NN_SCHED_CONSTANT), "schedule kind")          \
    R(per_epoch, NN_T_BOOL, 1, NULL, 0, 1, NULL,                                             \
      "t counts epochs (true) or iterations (false); plateau is per epoch")                  \
    R(step_size, NN_T_INT, 10, NULL, 1, NN_BIG, NULL,                                        \
      "step: multiply by gamma every step_size units of t (StepLR)")                         \
    R(gamma, NN_T_REAL, 0.1, NULL, 0, 1, NULL,                                               \
      "step, exponential: decay factor; exponential is lr0 * gamma^t")                       \
    R(decay_rate, NN_T_REAL, 1, NULL, 0, 1e6, NULL,                                          \
      "inverse_time: lr0 / (1 + decay_rate * t / decay_steps)")                              \
    R(decay_steps, NN_T_INT, 1, NULL, 1, NN_BIG, NULL,                                       \
      "inverse_time: units of t per decay_rate (the course's time_interval)")                \
    R(staircase, NN_T_BOOL, 0, NULL, 0, 1, NULL,                                             \
      "inverse_time: use floor(t / decay_steps) (the course's schedule_lr_decay)")           \
    R(t_max, NN_T_INT, 100, NULL, 1, NN_BIG, NULL,                                           \
      "cosine: half period, counted after the warm-up (CosineAnnealingLR)")                  \
    R(eta_min, NN_T_REAL, 0, NULL, 0, 10, NULL, "cosine: lowest learning rate")              \
    R(warmup, NN_T_INT, 0, NULL, 0, NN_BIG, NULL,                                            \
      "linear warm-up length in units of t; the schedule starts after it")                   \
    R(warmup_start_factor, NN_T_REAL, 1.0 / 3, NULL, 0, 1, NULL,                             \
      "warm-up starts at lr0 * this and rises linearly to lr0 (LinearLR)")                   \
    R(monitor, NN_ENUM_ROW(NN_MONITOR_LIST, NN_MONITOR_VAL_LOSS),                            \
      "plateau: metric observed at the end of each epoch")                                   \
    R(mode, NN_ENUM_ROW(NN_PLATEAU_MODE_LIST, NN_PLATEAU_AUTO),                              \
      "plateau: min or max is better; auto = min for val_loss, max for val_accuracy")        \
    R(factor, NN_T_REAL, 0.1, NULL, 0, 1, NULL, "plateau: lr *= factor on a plateau")        \
    R(patience, NN_T_INT, 10, NULL, 0, NN_BIG, NULL,                                         \
      "plateau: epochs without improvement tolerated before reducing")                       \
    R(threshold, NN_T_REAL, 1e-4, NULL, 0, 1e6, NULL,                                        \
      "plateau: least change that counts as an improvement")                                 \
    R(threshold_mode, NN_ENUM_ROW(NN_THRESHOLD_MODE_LIST, NN_THRESHOLD_REL),                 \
      "plateau: threshold relative to the best value or absolute")                           \
    R(cooldown, NN_T_INT, 0, NULL, 0, NN_BIG, NULL,                                          \
      "plateau: epochs to wait after a reduction before counting again")                     \
    R(min_lr, NN_T_REAL, 0, NULL, 0, 10, NULL, "plateau: lower bound of the lr")             \
    R(eps, NN_T_REAL, 1e-8, NULL, 0, 1, NULL, "plateau: a reduction smaller than this is skipped")

/* ---- the expansions ------------------------------------------------------------ */

#define NN_DECL_ROW(field, ...) {#field, __VA_ARGS__},
#define NN_FIELD_OF(T, field) {offsetof(T, field), sizeof(((T *)0)->field)},
#define MODEL_FIELD(field, ...) NN_FIELD_OF(nn_model_opts, field)
#define TRAIN_FIELD(field, ...) NN_FIELD_OF(nn_train_opts, field)
#define OUTPUT_FIELD(field, ...) NN_FIELD_OF(nn_output_opts, field)
#define SCHEDULE_FIELD(field, ...) NN_FIELD_OF(nn_schedule_opts, field)

const nn_param_decl nn_model_params[] = {MODEL_ROWS(NN_DECL_ROW)};
const int nn_model_n_params = NN_ARRAY_LEN(nn_model_params);
static const nn_option_field model_fields[] = {MODEL_ROWS(MODEL_FIELD)};
const nn_option_table nn_model_options = {"model", nn_model_params, model_fields,
                                          NN_ARRAY_LEN(nn_model_params)};

const nn_param_decl nn_train_params[] = {TRAIN_ROWS(NN_DECL_ROW)};
const int nn_train_n_params = NN_ARRAY_LEN(nn_train_params);
static const nn_option_field train_fields[] = {TRAIN_ROWS(TRAIN_FIELD)};
const nn_option_table nn_train_options = {"train", nn_train_params, train_fields,
                                          NN_ARRAY_LEN(nn_train_params)};

const nn_param_decl nn_output_params[] = {OUTPUT_ROWS(NN_DECL_ROW)};
const int nn_output_n_params = NN_ARRAY_LEN(nn_output_params);
static const nn_option_field output_fields[] = {OUTPUT_ROWS(OUTPUT_FIELD)};
const nn_option_table nn_output_options = {"output", nn_output_params, output_fields,
                                           NN_ARRAY_LEN(nn_output_params)};

const nn_param_decl nn_schedule_params[] = {SCHEDULE_ROWS(NN_DECL_ROW)};
const int nn_schedule_n_params = NN_ARRAY_LEN(nn_schedule_params);
static const nn_option_field schedule_fields[] = {SCHEDULE_ROWS(SCHEDULE_FIELD)};
const nn_option_table nn_schedule_options = {"optim.schedule", nn_schedule_params,
                                             schedule_fields, NN_ARRAY_LEN(nn_schedule_params)};

/* ---- binding ------------------------------------------------------------------- */

static size_t field_size(nn_type t)
{
    switch (t) {
    case NN_T_REAL: return sizeof(nn_real);
    case NN_T_INT: return sizeof(long);
    case NN_T_BOOL: return sizeof(int);
    case NN_T_STRING: return sizeof(const char *);
    case NN_T_ENUM: return sizeof(nn_act);
    case NN_T_INTLIST: return sizeof(nn_int_list);
    default: return 0;
    }
}

static void bind_one(const nn_param_decl *d, const nn_value *v, char *field)
{
    switch (d->type) {
    case NN_T_REAL: memcpy(field, &v->r, sizeof v->r); break;
    case NN_T_INT: memcpy(field, &v->i, sizeof v->i); break;
    case NN_T_BOOL: {
        int b = v->i != 0;
        memcpy(field, &b, sizeof b);
        break;
    }
    case NN_T_STRING: memcpy(field, &v->s, sizeof v->s); break;
    case NN_T_ENUM: {
        int k = v->s ? nn_choice_index(d->choices, v->s) : -1;
        nn_act e = (nn_act)(k >= 0 ? k : (int)v->i); /* every enum has nn_act's size */
        memcpy(field, &e, sizeof e);
        break;
    }
    default: {
        nn_int_list l = {v->n, v->ints};
        memcpy(field, &l, sizeof l);
    }
    }
}

int nn_options_bind(const nn_option_table *t, const nn_value *values, void *out, nn_err *err)
{
    for (int i = 0; i < t->n; i++) {
        const nn_param_decl *d = &t->decls[i];
        if (field_size(d->type) == 0 || field_size(d->type) != t->fields[i].size)
            return nn_err_set(err, NN_EINTERNAL, "%s.%s: the field does not fit its type", t->path,
                              d->name);
        bind_one(d, &values[i], (char *)out + t->fields[i].offset);
    }
    return NN_OK;
}
