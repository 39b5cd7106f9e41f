#!/usr/bin/env bash
# Bit-identical resume for every optimizer plugin of the tree (half of them
# in resume_optim2.sh): killed with kill -9 and SIGTERM at random moments,
# resumed with --resume (tests/cli/lib/resume.bash).
source "$NN_SOURCE_DIR/tests/cli/lib/resume.bash"
for src in "$NN_SOURCE_DIR"/plugins/optim/[a-l]*.c; do
  o=$(basename "$src" .c)
  case $o in
    lbfgs) run_case "$o" "optim.plugin=\"$o\"" "reg=()" ;; # a quasi-Newton step and dropout's noise diverge
    *) run_case "$o" "optim.plugin=\"$o\"" ;;
  esac
done
report
