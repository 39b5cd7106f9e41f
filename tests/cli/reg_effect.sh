#!/usr/bin/env bash
# The regularization experiments (seed report 2.4) on the generated football
# set: L2 (lambda 0.7) and dropout (keep_prob 0.86) each reach a higher test
# accuracy than the unregularized network, which fits the training set best.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
acc() { sed -n "s/^ *\"$2\": \([0-9.]*\),*$/\1/p" "$T/$1/summary.json"; }
for v in none l2 dropout; do
  "$NN_CMD" run "$NN_SOURCE_DIR/experiments/reg_$v.cfg" -o "$T/$v" -q -s output.plots=false \
    -s output.weights=false > /dev/null || fail "reg_$v failed"
  printf '%-8s train %s test %s\n' "$v" "$(acc $v train_accuracy)" "$(acc $v test_accuracy)"
done
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
gt "$(acc l2 test_accuracy)" "$(acc none test_accuracy)" || fail "L2 does not beat no regularization on the test set"
gt "$(acc dropout test_accuracy)" "$(acc none test_accuracy)" || fail "dropout does not beat no regularization on the test set"
gt "$(acc none train_accuracy)" "$(acc l2 train_accuracy)" || fail "no regularization should fit the training set better than L2"
echo PASS
