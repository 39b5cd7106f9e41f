/* plan.h: the trials of a search: the configurations (every combination of
 * a grid, or draws from the search's own seeded stream), their repeats over
 * seeds, the rungs of successive halving, stable trial ids, and the
 * overrides that make each trial an ordinary run. */
#ifndef NN_SW_PLAN_H
#define NN_SW_PLAN_H

#include "spec.h"

#define NN_SW_MAX_RUNGS 24

typedef struct nn_sw_config {
    char *values[NN_SW_MAX_PARAMS]; /* one libconfig text per swept key, owned */
    char hash[12];                  /* 8 hex digits of the values */
    uint32_t seeds[NN_SW_MAX_SEEDED]; /* resolved seeds of the reseeded sections */
} nn_sw_config;

typedef struct nn_sw_trial {
    char id[16];                 /* 10 hex digits of values, repeat and epochs */
    int cfg, repeat, rung;
    long epochs;                 /* train.epochs of this trial */
} nn_sw_trial;

typedef struct nn_sw_plan {
    nn_sw_config *configs;
    int n_configs;
    int n_rungs;                 /* 1 unless halving */
    long rung_epochs[NN_SW_MAX_RUNGS];
    int rung_configs[NN_SW_MAX_RUNGS]; /* configurations in each rung */
    nn_sw_trial *trials;         /* the rungs planned so far, rung by rung */
    int n_trials, cap;
    int rung_start[NN_SW_MAX_RUNGS + 1]; /* trials of rung k: [rung_start[k], rung_start[k+1]) */
    int planned_rungs;
} nn_sw_plan;

/* The configurations (grid product, or spec->trials draws) and the rung
 * layout; no trials yet. */
int nn_sw_plan_configs(const nn_sweep_spec *s, nn_sw_plan *p, nn_err *err);
/* Appends rung `rung` (the next unplanned one): configurations cfgs[0..n)
 * times the repeats, at that rung's epochs. */
int nn_sw_plan_rung(const nn_sweep_spec *s, nn_sw_plan *p, const int *cfgs, int n, nn_err *err);
void nn_sw_plan_free(nn_sw_plan *p);
/* Trials in all rungs, including those not planned yet. */
long nn_sw_plan_total(const nn_sweep_spec *s, const nn_sw_plan *p);

/* What a finished trial scored (per plan trial). */
typedef struct nn_sw_outcome {
    int done, ok;                /* recorded; finished with status ok */
    double value;                /* the metric (NAN when not measured) */
} nn_sw_outcome;

/* A configuration's summary over its repeats. */
typedef struct nn_sw_score {
    int n, n_ok;                 /* trials, trials ok with a measured metric */
    double mean, std;            /* over those (std 0 for one) */
} nn_sw_score;
void nn_sw_score_of(const double *v, const int *ok, int n, nn_sw_score *out);
/* <0 when a ranks above b: more ok trials first, then the better mean. */
int nn_sw_score_cmp(const nn_sw_score *a, const nn_sw_score *b, int higher_better);

/* Successive halving: the configurations of rung+1, best first: the top
 * rung_configs[rung+1] of rung `rung` by the score of their trials there
 * (ties: the earlier configuration). All of the rung must be done. */
int nn_sw_promote(const nn_sw_plan *p, int rung, const nn_sw_outcome *out, int higher_better,
                  int *next, int *n_next);

/* The -s overrides that make trial t an ordinary run: the swept values, the
 * repeat's seeds, the rung's epochs, its name, BLAS threads (threads > 0),
 * after the spec's fixed ones. *ov is owned (nn_sw_free_overrides). */
int nn_sw_trial_overrides(const nn_sweep_spec *s, const nn_sw_plan *p, const nn_sw_trial *t,
                          long threads, char ***ov, int *n, nn_err *err);
void nn_sw_free_overrides(char **ov, int n);

/* 64-bit FNV-1a of a string, finalised as splitmix64 (ids). */
uint64_t nn_sw_hash(const char *s);

#endif
