#!/usr/bin/env bash
# Bit-identical resume for every regularizer plugin of the tree, every
# learning-rate schedule (reduce-on-plateau's counters included) and the
# training options that keep state across steps (reseeded shuffling, batch
# accuracy, clipping, full batches): killed with kill -9 and SIGTERM at
# random moments, resumed with --resume (tests/cli/lib/resume.bash).
source "$NN_SOURCE_DIR/tests/cli/lib/resume.bash"
reg_case() { run_case "reg_$1" "optim.plugin=\"momentum\"" "reg=({ plugin = \"$1\"; $2 })"; }
n_reg=0
for src in "$NN_SOURCE_DIR"/plugins/reg/*.c; do
  r=$(basename "$src" .c)
  case $r in
    dropout) reg_case "$r" "keep_probs = [0.7];" ;;
    gaussian_noise) reg_case "$r" "std = 0.2;" ;;
    *) reg_case "$r" "" ;;
  esac
  n_reg=$((n_reg + 1))
done
[ $n_reg -ge 6 ] || fail "only $n_reg regularizers found"
sched_case() { run_case "sched_$1" "optim.lr=0.02" "optim.schedule={ $2 }"; }
sched_case step 'type = "step"; step_size = 60; gamma = 0.7;'
sched_case exponential 'type = "exponential"; gamma = 0.999; per_epoch = false;'
sched_case inverse_time 'type = "inverse_time"; decay_rate = 0.5; decay_steps = 40; staircase = true;'
sched_case cosine 'type = "cosine"; t_max = 300; warmup = 20;'
sched_case plateau_loss 'type = "plateau"; monitor = "val_loss"; patience = 3; factor = 0.5; cooldown = 2;'
sched_case plateau_acc 'type = "plateau"; monitor = "val_accuracy"; patience = 2; factor = 0.7; threshold_mode = "abs";'
sched_case warmup 'type = "constant"; warmup = 500; per_epoch = false;'
run_case reseed "train.shuffle=\"reseed\"" "train.seed=11"
run_case batch_accuracy "train.train_accuracy=\"batches\"" "train.val_every=3"
run_case clip "train.clip_norm=0.5" "train.clip_value=0.2" "optim.plugin=\"sgd\"" "optim.lr=0.5"
run_case full_batch "train.batch_size=0" "train.epochs=3000"
report
