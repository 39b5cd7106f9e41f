#!/usr/bin/env bash
# nnlab benchmark end to end on a reduced suite (the moons problem, adam
# against sgd, 4 learning rates, 2 seeds): report.md, results.csv and the
# figures are written, and every number of the report's table is computed
# again here from the trial run folders the report names (summary.json,
# metrics.csv, trials.csv): the best lr, the mean +- sample std of the test,
# validation and train accuracy, of the test loss and of the last epoch's train
# loss, the seeds at the target and the epochs to it; results.csv's test loss
# columns at full precision, and its header. The same check of a report with
# the test accuracy or the test loss changed fails. Then: a cached baseline is reused (nothing of it runs again)
# and invalidated when its problem file changes; an optimizer that fails
# nnlab check is refused (nothing runs) unless --no-check; bad arguments are
# one message and exit status 2.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cp "$NN_SOURCE_DIR/experiments/benchmark/moons.cfg" "$T/moons.cfg"
B=("$NN_CMD" benchmark --problem "$T/moons.cfg" --budget 4 --lr 0.001:1 --seeds 2 -j 2 --cache "$T/cache")

"${B[@]}" adam --baselines sgd -o "$T/a" > "$T/out1" 2> "$T/err1" || fail "benchmark exit $?: $(cat "$T/err1")"
for f in report.md results.csv figures/moons_curves.png figures/moons_lr.png check/adam.txt; do
  [ -s "$T/a/$f" ] || fail "no $f"
done
grep -q "PASS optim/adam" "$T/a/check/adam.txt" || fail "check/adam.txt: $(head -3 "$T/a/check/adam.txt")"

# ---- the report's numbers from the run folders -----------------------------------
json() { sed -n "s/^  \"$2\": \([^,]*\),*$/\1/p" "$1/summary.json"; }
# mean and sample std of the numbers on stdin, as the report prints them
meansd() { awk -v d="$1" '{ v[NR] = $1; s += $1 } END { m = s / NR; for (i = 1; i <= NR; i++) q += (v[i] - m) ^ 2;
  sd = NR > 1 ? sqrt(q / (NR - 1)) : 0; printf "%.*f ± %.*f\n", d, m, d, sd }'; }
check_report() { # DIR REPORT: 0 when every checked number agrees
  local dir=$1 rep=$2 bad=0 target
  target=$(sed -n 's/.*target: val_accuracy >= \([0-9.]*\)\..*/\1/p' "$rep")
  [ -n "$target" ] || { echo "no target in the report"; return 1; }
  while read -r line; do
    name=$(echo "$line" | sed 's/^- \([a-z0-9_]*\):.*/\1/')
    sdir=$(echo "$line" | sed 's/^[^`]*`\([^`]*\)`.*/\1/')
    case $sdir in /*) ;; *) sdir="$dir/$sdir" ;; esac
    lr=$(echo "$line" | sed 's/.*; lr \([^,]*\), seeds:.*/\1/')
    ids=$(echo "$line" | sed 's/.*seeds: //')
    row=$(grep "^| \**$name\** |" "$rep" | sed -n 2p)  # the problem's table (the first is the ranking)
    [ -n "$row" ] || { echo "no row of $name"; bad=1; continue; }
    IFS='|' read -r _ _ _ r_lr _ r_test r_tloss r_val r_train r_loss _ r_at r_ep _ <<< "$row"
    trim() { echo "$1" | sed 's/^ *//; s/ *$//'; }
    # the best lr: the highest final val_accuracy among the tuning runs (repeat 0), the first on ties
    best=$(awk -F, 'NR > 1 && $3 == 0 && $5 == "ok"' "$sdir/trials.csv" | while IFS=, read -r id _ _ _ _ v _; do
             echo "$v $(json "$sdir/trials/$id" val_accuracy)"; done | sort -g -k1,1 | sort -s -g -r -k2,2 | head -1 | cut -d' ' -f1)
    [ "$(awk -v a="$best" -v b="$(trim "$r_lr")" 'BEGIN { print (a + 0 == b + 0) }')" = 1 ] ||
      { echo "$name: best lr $(trim "$r_lr"), the tuning runs say $best"; bad=1; }
    [ "$(awk -v a="$lr" -v b="$(trim "$r_lr")" 'BEGIN { print (a == b) }')" = 1 ] || { echo "$name: lr of the runs $lr"; bad=1; }
    for pair in "test_accuracy:$r_test" "test_loss:$r_tloss" "val_accuracy:$r_val" "train_accuracy:$r_train"; do
      key=${pair%%:*}; want=$(trim "${pair#*:}")
      got=$(for id in $ids; do json "$sdir/trials/$id" "$key"; done | meansd 4)
      [ "$got" = "$want" ] || { echo "$name: $key: report $want, run folders $got"; bad=1; }
    done
    # the train loss: the last logged row's (metrics.csv column 3)
    got=$(for id in $ids; do tail -1 "$sdir/trials/$id/metrics.csv" | cut -d, -f3; done | meansd 4)
    [ "$got" = "$(trim "$r_loss")" ] || { echo "$name: train loss: report $(trim "$r_loss"), run folders $got"; bad=1; }
    # seeds at the target and the epochs to it, from each run's metrics.csv
    at=0; : > "$T/ep"
    for id in $ids; do
      e=$(awk -F, -v t="$target" 'NR > 1 && $5 != "" && $5 + 0 >= t + 0 { print $1 + 1; exit }' "$sdir/trials/$id/metrics.csv")
      [ -n "$e" ] && { at=$((at + 1)); echo "$e" >> "$T/ep"; }
    done
    [ "$(trim "$r_at")" = "$at/2" ] || { echo "$name: at target: report $(trim "$r_at"), run folders $at/2"; bad=1; }
    if [ "$at" -gt 0 ]; then
      got=$(meansd 1 < "$T/ep")
      [ "$got" = "$(trim "$r_ep")" ] || { echo "$name: epochs to target: report $(trim "$r_ep"), run folders $got"; bad=1; }
    fi
    checked=$((checked + 1))
  done < <(grep "^- [a-z0-9_]*: \`.*seeds: " "$rep")
  return $bad
}
checked=0
check_report "$T/a" "$T/a/report.md" > "$T/msg" || fail "report against its run folders: $(cat "$T/msg")"
[ "$checked" = 2 ] || fail "checked $checked optimizers' rows, want 2"
# the check can fail: one number of the table changed
sed '0,/^| \*\*adam\*\* | [0-9.]* | [^|]* | [^|]* | 0\.\([0-9]\)/s//&9/' "$T/a/report.md" > "$T/bad.md"
cmp -s "$T/a/report.md" "$T/bad.md" && fail "the tampered report is the same"
check_report "$T/a" "$T/bad.md" > /dev/null && fail "a changed test accuracy went unnoticed"
sed '0,/^| \*\*adam\*\* | [0-9.]* | [^|]* | [^|]* | [^|]* | [0-9]*\.[0-9]/s//&9/' "$T/a/report.md" > "$T/bad.md"
cmp -s "$T/a/report.md" "$T/bad.md" && fail "the report with a changed test loss is the same"
check_report "$T/a" "$T/bad.md" > /dev/null && fail "a changed test loss went unnoticed"

# results.csv: the columns of before, then test_loss and test_loss_std before dir; the
# test loss mean and sample std of each row at full precision from the seeds' summary.json
want_head="problem,optimizer,candidate,cached,rank,best_lr,good_lrs,lrs,seeds_ok,test_accuracy,test_accuracy_std,\
val_accuracy,val_accuracy_std,train_accuracy,train_accuracy_std,train_loss,train_loss_std,val_loss,val_loss_std,\
seconds,seconds_std,gradient_evaluations,gradient_evaluations_std,reached,epochs_to_target,epochs_to_target_std,\
steps_to_target,steps_to_target_std,evals_to_target,evals_to_target_std,seconds_to_target,seconds_to_target_std,\
test_loss,test_loss_std,dir"
[ "$(head -1 "$T/a/results.csv")" = "$want_head" ] || fail "results.csv header: $(head -1 "$T/a/results.csv")"
csv_checked=0
while IFS=, read -r prob name _ _ _ _ _ _ _ rest; do
  tl=$(echo "$rest" | awk -F, '{ print $(NF - 2) }'); tls=$(echo "$rest" | awk -F, '{ print $(NF - 1) }')
  sdir=$(echo "$rest" | awk -F, '{ print $NF }')
  ids=$(grep "^- $name: \`" "$T/a/report.md" | sed 's/.*seeds: //')
  [ -n "$ids" ] && [ -d "$sdir" ] || fail "results.csv row $prob,$name: no seeds or folder $sdir"
  for id in $ids; do json "$sdir/trials/$id" test_loss; done | awk -v m="$tl" -v sd="$tls" '
    { v[NR] = $1; s += $1 } END { mean = s / NR; for (i = 1; i <= NR; i++) q += (v[i] - mean) ^ 2; std = sqrt(q / (NR - 1))
      d = mean - m; e = std - sd; if (d < 0) d = -d; if (e < 0) e = -e
      if (NR < 2 || d > 1e-12 * (1 + mean) || e > 1e-12 * (1 + std)) { print "results.csv", m, sd, "run folders", mean, std; exit 1 } }' ||
    fail "$name: test loss of results.csv differs from the run folders"
  csv_checked=$((csv_checked + 1))
done < <(tail -n +2 "$T/a/results.csv")
[ "$csv_checked" = 2 ] || fail "checked $csv_checked rows of results.csv, want 2"

# ---- the baseline cache ---------------------------------------------------------------
n_cache=$(find "$T/cache" -name summary.json | wc -l)
sum_before=$(cat "$T"/cache/moons/sgd-*/trials.csv | cksum)
"${B[@]}" nadam --baselines sgd -o "$T/b" > /dev/null 2> "$T/err2" || fail "second benchmark exit $?: $(cat "$T/err2")"
grep -q "moons / sgd: .*; cached" "$T/err2" || fail "the sgd baseline was not reused: $(cat "$T/err2")"
grep -q "moons / sgd: tuning" "$T/err2" && fail "the cached sgd baseline was tuned again"
[ "$(find "$T/cache" -name summary.json | wc -l)" = "$n_cache" ] || fail "new trials in the cache"
[ "$(cat "$T"/cache/moons/sgd-*/trials.csv | cksum)" = "$sum_before" ] || fail "the cached trials.csv changed"
grep -q "found finished" "$T/b/report.md" || fail "the report does not say the baseline was cached"
echo "# changed" >> "$T/moons.cfg"
"${B[@]}" nadam --baselines sgd -o "$T/c" > /dev/null 2> "$T/err3" || fail "third benchmark exit $?: $(cat "$T/err3")"
grep -q "moons / sgd: tuning" "$T/err3" || fail "a changed problem file did not invalidate the baseline: $(cat "$T/err3")"
[ "$(ls -d "$T"/cache/moons/sgd-* | wc -l)" = 2 ] || fail "cache folders: $(ls "$T/cache/moons")"

# ---- an optimizer that fails nnlab check ------------------------------------------------
FX=(--plugin-path "$NN_FIXTURE_DIR/optim")
"${B[@]}" bias_frozen "${FX[@]}" --baselines none -o "$T/r" > /dev/null 2> "$T/err4"
rc=$?
[ $rc = 1 ] || fail "a failing optimizer: exit $rc (want 1): $(cat "$T/err4")"
grep -q "bias_frozen fails nnlab check" "$T/err4" || fail "refusal message: $(cat "$T/err4")"
grep -q "FAIL optim/bias_frozen" "$T/r/check/bias_frozen.txt" || fail "check/bias_frozen.txt has no FAIL line"
[ -e "$T/r/runs" ] || [ -e "$T/r/report.md" ] && fail "a refused optimizer ran"
"${B[@]}" bias_frozen "${FX[@]}" --baselines none --budget 2 --seeds 1 --no-check -o "$T/r" > /dev/null 2> "$T/err5" ||
  fail "--no-check: exit $?: $(cat "$T/err5")"
grep -q "benchmarked anyway: --no-check" "$T/r/report.md" || fail "the report does not record --no-check"

# ---- bad arguments: one message, exit 2 -------------------------------------------------
bad() { # ARGS...: exit 2, one line on stderr that contains the last word given as PATTERN
  local pat=$1; shift
  "$NN_CMD" benchmark "$@" > "$T/o" 2> "$T/e"; local rc=$?
  [ $rc = 2 ] || fail "benchmark $*: exit $rc (want 2)"
  [ "$(wc -l < "$T/e")" = 1 ] || fail "benchmark $*: $(cat "$T/e")"
  grep -q -- "$pat" "$T/e" || fail "benchmark $*: message $(cat "$T/e")"
  [ -s "$T/o" ] && fail "benchmark $*: stdout $(cat "$T/o")"
  return 0
}
bad "no optimizer" 
bad "--seeds" adam --seeds 0
bad "--budget" adam --budget x
bad "--suite" adam --suite medium
bad "--lr" adam --lr 1:0.1
bad "unknown option '--bogus'" adam --bogus
bad "no such file" adam --problem "$T/none.cfg"
bad "optimizer 'nosuch'" nosuch --problem "$T/moons.cfg" -o "$T/n"
[ -e "$T/n" ] && fail "a bad optimizer name left a folder"
echo "benchmark: ok ($checked optimizers' numbers checked against their run folders)"
