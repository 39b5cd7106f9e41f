/* options.h: the core's own options (sections model, train, output and
 * optim.schedule). Three things live here:
 *   - every set of choices, written once as an X-macro list that gives the
 *     enum, the names and the "a|b|c" choices string;
 *   - the typed structs the experiment reader fills, one per section;
 *   - the option tables (options.c): one row per option, bound to the field
 *     of the struct it fills (Redis style). The reader checks each value
 *     against the row's declaration and binds it into its field once; the
 *     engine reads the fields and never looks an option up by name. */
#ifndef NN_OPTIONS_H
#define NN_OPTIONS_H

#include <stddef.h>

#include "nnlab/plugin.h"

/* ---- choices ----------------------------------------------------------------
 * X(CONSTANT, "name"), one per choice, in enum order. */

#define NN_ACTIVATION_LIST(X)                                                  \
    X(NN_ACT_RELU, "relu") X(NN_ACT_LEAKY_RELU, "leaky_relu")                  \
    X(NN_ACT_TANH, "tanh") X(NN_ACT_SIGMOID, "sigmoid")
/* model.output (a built model's nn_out is sigmoid or softmax, model.h) */
#define NN_OUTPUT_LIST(X)                                                      \
    X(NN_OUTPUT_AUTO, "auto") X(NN_OUTPUT_SIGMOID, "sigmoid") X(NN_OUTPUT_SOFTMAX, "softmax")
#define NN_SHUFFLE_LIST(X)                                                     \
    X(NN_SHUFFLE_STREAM, "stream") X(NN_SHUFFLE_RESEED, "reseed") X(NN_SHUFFLE_NONE, "none")
/* train.train_accuracy: what metrics.csv's train_accuracy measures */
#define NN_TRAIN_ACCURACY_LIST(X)                                              \
    X(NN_TRAIN_ACC_FULL, "full") X(NN_TRAIN_ACC_BATCHES, "batches")
#define NN_SCHEDULE_TYPE_LIST(X)                                               \
    X(NN_SCHED_CONSTANT, "constant") X(NN_SCHED_STEP, "step")                  \
    X(NN_SCHED_EXPONENTIAL, "exponential") X(NN_SCHED_INVERSE_TIME, "inverse_time") \
    X(NN_SCHED_COSINE, "cosine") X(NN_SCHED_PLATEAU, "plateau")
#define NN_MONITOR_LIST(X)                                                     \
    X(NN_MONITOR_VAL_LOSS, "val_loss") X(NN_MONITOR_VAL_ACCURACY, "val_accuracy")
#define NN_PLATEAU_MODE_LIST(X)                                                \
    X(NN_PLATEAU_AUTO, "auto") X(NN_PLATEAU_MIN, "min") X(NN_PLATEAU_MAX, "max")
#define NN_THRESHOLD_MODE_LIST(X)                                              \
    X(NN_THRESHOLD_REL, "rel") X(NN_THRESHOLD_ABS, "abs")

/* What a list expands to. NN_CHOICES gives "a|b|c": the items as "|a" "|b"
 * "|c", one literal, read from its second character. */
#define NN_ENUM_ITEM(c, s) c,
#define NN_NAME_ITEM(c, s) s,
#define NN_CHOICE_ITEM(c, s) "|" s
#define NN_COUNT_ITEM(c, s) +1
#define NN_CHOICES(LIST) (&(LIST(NN_CHOICE_ITEM))[1])
#define NN_COUNT(LIST) (0 LIST(NN_COUNT_ITEM))

typedef enum nn_act { NN_ACTIVATION_LIST(NN_ENUM_ITEM) } nn_act;
typedef enum nn_output_kind { NN_OUTPUT_LIST(NN_ENUM_ITEM) } nn_output_kind;
typedef enum nn_shuffle { NN_SHUFFLE_LIST(NN_ENUM_ITEM) } nn_shuffle;
typedef enum nn_train_accuracy { NN_TRAIN_ACCURACY_LIST(NN_ENUM_ITEM) } nn_train_accuracy;
typedef enum nn_schedule_type { NN_SCHEDULE_TYPE_LIST(NN_ENUM_ITEM) } nn_schedule_type;
typedef enum nn_monitor { NN_MONITOR_LIST(NN_ENUM_ITEM) } nn_monitor;
typedef enum nn_plateau_mode { NN_PLATEAU_MODE_LIST(NN_ENUM_ITEM) } nn_plateau_mode;
typedef enum nn_threshold_mode { NN_THRESHOLD_MODE_LIST(NN_ENUM_ITEM) } nn_threshold_mode;

/* Names by enum value, e.g. nn_act_names[NN_ACT_TANH] is "tanh". */
extern const char *const nn_act_names[];
extern const char *const nn_output_names[];
extern const char *const nn_shuffle_names[];
extern const char *const nn_train_accuracy_names[];
extern const char *const nn_schedule_type_names[];
extern const char *const nn_monitor_names[];
extern const char *const nn_plateau_mode_names[];
extern const char *const nn_threshold_mode_names[];

/* ---- the typed structs ----------------------------------------------------------
 * Field types by declared type: NN_T_REAL nn_real, NN_T_INT long, NN_T_BOOL
 * int, NN_T_STRING const char *, NN_T_ENUM its enum, NN_T_INTLIST
 * nn_int_list. Strings and lists live as long as the experiment. */

typedef struct nn_int_list {
    int n;
    const long *v;
} nn_int_list;

typedef struct nn_model_opts {
    nn_int_list hidden;
    nn_act activation;
    nn_real leaky_slope;
    nn_output_kind output;
} nn_model_opts;

typedef struct nn_train_opts {
    long epochs, batch_size, log_every;
    nn_shuffle shuffle;
    long val_every;
    nn_real clip_norm, clip_value;
    long threads;
    nn_train_accuracy train_accuracy;
    long checkpoint_every;
} nn_train_opts;

typedef struct nn_output_opts {
    const char *dir;
    int plots, log_scale, weights;
} nn_output_opts;

typedef struct nn_schedule_opts {
    nn_schedule_type type;
    int per_epoch;
    long step_size;
    nn_real gamma, decay_rate;
    long decay_steps;
    int staircase;
    long t_max;
    nn_real eta_min;
    long warmup;
    nn_real warmup_start_factor;
    nn_monitor monitor;
    nn_plateau_mode mode;
    nn_real factor;
    long patience;
    nn_real threshold;
    nn_threshold_mode threshold_mode;
    long cooldown;
    nn_real min_lr, eps;
} nn_schedule_opts;

/* ---- the tables ---------------------------------------------------------------- */

/* Where the value of a row goes: a field of the section's struct. */
typedef struct nn_option_field {
    size_t offset, size;
} nn_option_field;

/* A section's rows: decls[i] is the declaration the reader checks the value
 * against (a plain nn_param_decl array, as a plugin's), fields[i] its field. */
typedef struct nn_option_table {
    const char *path;              /* "model", "train", "output", "optim.schedule" */
    const nn_param_decl *decls;
    const nn_option_field *fields;
    int n;
} nn_option_table;

extern const nn_option_table nn_model_options;
extern const nn_option_table nn_train_options;
extern const nn_option_table nn_output_options;
extern const nn_option_table nn_schedule_options;

/* The declarations alone (the order of nn_schedule_params is the order of
 * the nn_value array nn_schedule_init takes). */
extern const nn_param_decl nn_model_params[];
extern const int nn_model_n_params;
extern const nn_param_decl nn_train_params[];
extern const int nn_train_n_params;
extern const nn_param_decl nn_output_params[];
extern const int nn_output_n_params;
extern const nn_param_decl nn_schedule_params[];
extern const int nn_schedule_n_params;

/* Writes values[i] (one resolved value per row) into its field of out. An
 * enum takes the index of its name (values[i].s) among the choices, or
 * values[i].i when there is no name. NN_EINTERNAL when a row's field does
 * not fit its type. */
int nn_options_bind(const nn_option_table *t, const nn_value *values, void *out, nn_err *err);

#endif
