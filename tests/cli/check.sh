#!/usr/bin/env bash
# nnlab check: every fixture plugin (tests/fixtures) is rejected with its
# specific message and exit status 1; loader failures likewise; a plugin
# that crashes or never returns fails those checks (signal named, time limit
# kept) while nnlab check itself finishes with exit 1; a correct plugin
# passes with exit 0; bad input exits 2; --experiment runs the whole-network
# gradient check and catches a wrong backward pass; the no-argument form
# checks every plugin on the path.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
F="$NN_FIXTURE_DIR"

# expect STATUS PLUGIN PATTERN...: run nnlab check, compare the exit status,
# grep each pattern (fixed strings) in the output.
expect() {
  local want=$1 what=$2; shift 2
  "$NN_CMD" check "$what" > "$T/out" 2>&1; local rc=$?
  [ "$rc" = "$want" ] || { cat "$T/out"; fail "check $what: exit $rc, expected $want"; }
  for pat in "$@"; do
    grep -qF -- "$pat" "$T/out" || { cat "$T/out"; fail "check $what: no '$pat'"; }
  done
  grep -E '^FAIL ' "$T/out" | sed 's/^/  /'
}

# deliberate mistakes, one per fixture
expect 1 "$F/reg/grad_x2.so" \
  "FAIL reg/grad_x2  penalty gradient vs central differences: difference 3.333e-01 > 1e-07"
expect 1 "$F/reg/wrong_backward.so" \
  "FAIL reg/wrong_backward  activation backward vs central differences: difference" \
  "FAIL reg/wrong_backward  gradient check of a 4-7-6-3 relu net with it"
expect 1 "$F/init/wrong_variance.so" \
  "FAIL init/wrong_variance  mean and variance: 120000 weights, fan_in 400, fan_out 300" \
  "(declared 5.00000e-03, -2"
expect 1 "$F/optim/static_state.so" \
  "FAIL optim/static_state  no hidden state: two runs interleaved" \
  "FAIL optim/static_state  state saved and restored continues bit-identically"
expect 1 "$F/data/nan_data.so" \
  "FAIL data/nan_data  no NaN or Inf: train X[17,1] = nan (1 non-finite values)"
# each mistake is caught by the check meant for it and the others still pass
grep -q '^FAIL.*mean and variance' <("$NN_CMD" check "$F/reg/grad_x2.so") && fail "grad_x2: unrelated failure"
[ "$("$NN_CMD" check "$F/data/nan_data.so" | grep -c '^FAIL')" = 1 ] || fail "nan_data: more than one failure"
[ "$("$NN_CMD" check "$F/reg/grad_x2.so" | grep -c '^FAIL')" = 2 ] || fail "grad_x2: failures other than its gradient"

# an optimizer that never updates biases: only the check meant for it fails
expect 1 "$F/optim/bias_frozen.so" \
  "FAIL optim/bias_frozen  biases and every layer move under a nonzero gradient: b1, b2 did not move in 3 steps" \
  "(elements moved: W1 3200/3200, b1 0/32, W2 320/320, b2 0/10)"
[ "$("$NN_CMD" check "$F/optim/bias_frozen.so" | grep -c '^FAIL')" = 1 ] || fail "bias_frozen: failures other than the biases"

# a step writing a slot it never declared: named by the check meant for it;
# where the write hits no memory the check crashes, and that is a failed
# check, not a crash of nnlab check (exit 1, not 139)
expect 1 "$F/optim/slot_overflow.so" \
  "FAIL optim/slot_overflow  step writes only declared state: slot[1] of W1 written, but the plugin declares 1 slot" \
  "FAIL optim/slot_overflow  no hidden state: crashed (signal 11, SIGSEGV)" \
  "PASS optim/slot_overflow  descriptor:" "nnlab check: 5 passed, 12 failed, 5 skipped"

# ABI 2 rules: each planted mistake fails the check meant for it (and, where
# noted, only that one); a correct per-tensor rule passes
only_fail() { # PLUGIN N: exactly N failed checks
  local n; n=$(grep -c '^FAIL ' "$T/out")
  [ "$n" = "$2" ] || { cat "$T/out"; fail "$1: $n failed checks, expected $2"; }
}
expect 0 "$F/optim/trust_ratio.so" \
  "SKIP optim/trust_ratio  same update whatever the split: does not apply to a rule of the families per-tensor" \
  "PASS optim/trust_ratio  same update whatever the order of tensors: 6 steps on W1 8x12, b1 8, W2 3x8, b2 3 equal the same steps with the tensors in reverse order and interleaved with another model's tensors in one step, bit for bit" \
  " 0 failed"
grep -E '^PASS optim/trust_ratio  same update whatever the order' "$T/out" | cut -c1-160 | sed 's/^/  /'
expect 1 "$F/optim/tensor_order.so" \
  "FAIL optim/tensor_order  same update whatever the order of tensors: 6 steps with the tensors in reverse order (b2, W2, b1, W1) differ from the same steps in the core's order"
only_fail tensor_order 1
expect 1 "$F/optim/scalars_in_step.so" \
  "FAIL optim/scalars_in_step  scalars change only in their once-per-step update: scalars[0] changed inside step() of b2 at step 1 (0 -> 1)"
only_fail scalars_in_step 1
expect 1 "$F/optim/scratch_state.so" \
  "FAIL optim/scratch_state  scratch holds no state: with the scratch filled with NaN before each call, the loss is nan at step 2 (a zeroed scratch trains)" \
  "FAIL optim/scratch_state  state saved and restored continues bit-identically:"
only_fail scratch_state 2 # scratch is not saved either
expect 1 "$F/optim/eval_step0.so" \
  "FAIL optim/eval_step0  evaluation point: at step 0 the evaluation point of W1[0] is 0, the parameter"
only_fail eval_step0 1
expect 1 "$F/optim/eval_writes.so" \
  "FAIL optim/eval_writes  evaluation point: after step 1 call 2 of eval_point gives W1[0] ="
only_fail eval_writes 1
expect 1 "$F/optim/evals_over.so" \
  "FAIL optim/evals_over  re-evaluation reproducible and bounded: model_step called evaluate() 2 times at step 1, but max_evals() declares 1" \
  "SKIP optim/evals_over  parameter blocks independent: the default parameter block gives no result to compare" \
  "FAIL optim/evals_over  zero gradient changes nothing: optimizer 'evals_over': model_step called evaluate() more than max_evals() = 1 times at step 1"
expect 1 "$F/optim/row_nan.so" \
  "FAIL optim/row_nan  degenerate shapes stay finite: parameter 1x7[0] is " "nan after step 1"
only_fail row_nan 1

# a step that never returns: every check that calls it times out after the
# limit, the others pass, and the whole run stays within the limits
t0=$(date +%s.%N)
"$NN_CMD" check --timeout 0.5 "$F/optim/infinite_loop.so" > "$T/out" 2>&1; rc=$?
t1=$(date +%s.%N)
[ $rc = 1 ] || { cat "$T/out"; fail "infinite_loop: exit $rc, expected 1"; }
grep -qF "FAIL optim/infinite_loop  zero gradient changes nothing: timed out after 0.5 s" "$T/out" \
  || { cat "$T/out"; fail "infinite_loop: no time-out line"; }
n_out=$(grep -c '^FAIL optim/infinite_loop  .*: timed out after 0.5 s' "$T/out")
[ "$n_out" = 12 ] && grep -q "^nnlab check: 5 passed, 12 failed" "$T/out" || { cat "$T/out"; fail "infinite_loop: $n_out time-outs"; }
awk -v a="$t0" -v b="$t1" -v n="$n_out" 'BEGIN { d = b - a; printf "  infinite_loop: %d checks timed out at 0.5 s each, %.2f s in all\n", n, d; exit !(d < n * 0.5 + 10) }' \
  || fail "infinite_loop: took longer than its time limits"
grep -E '^FAIL ' "$T/out" | head -2 | sed 's/^/  /'
"$NN_CMD" check --help | grep -q -- "--timeout SECONDS" || fail "--timeout not in the help"
"$NN_CMD" check --timeout 0 optim/sgd > /dev/null 2>&1; [ $? = 2 ] || fail "--timeout 0 accepted"
"$NN_CMD" check --timeout x optim/sgd > /dev/null 2>&1; [ $? = 2 ] || fail "--timeout x accepted"

# loader failures
expect 1 "$F/optim/wrong_abi.so" "FAIL optim/wrong_abi  loads:" "ABI version 99 is newer than this nnlab's ABI 2 (upgrade nnlab"
expect 1 "$F/optim/wrong_real_size.so" "FAIL optim/wrong_real_size  loads:" \
  "built for a 4-byte nn_real, this nnlab uses 8 bytes"
expect 1 "$F/optim/wrong_kind.so" "FAIL optim/wrong_kind  loads:" "is of kind init, expected kind optim"
expect 1 "$F/optim/no_entry.so" "FAIL optim/no_entry  loads:" "missing entry symbol 'nnlab_plugin'"
expect 1 "$F/init/bad_default.so" "FAIL init/bad_default  loads:" "parameter 'gain': default 5 outside [0, 1]"

# correct plugins: by KIND/NAME, by NAME, by path; one line per check with figures
expect 0 optim/adam "PASS optim/adam  converges on a convex quadratic: f=" \
  "PASS optim/adam  makes progress on Rosenbrock: f=" "nnlab check: " " 0 failed"
expect 0 l2 "PASS reg/l2  penalty gradient vs central differences: difference" \
  "PASS reg/l2  neutral setting changes nothing: lambda = 0"
expect 0 "$NN_BUILD_DIR/plugins/init/he.so" "PASS init/he  mean and variance:" "PASS init/he  seeds:"

# by name through --plugin-path
"$NN_CMD" check --plugin-path "$F" reg/grad_x2 > "$T/out"; [ $? = 1 ] || fail "--plugin-path fixture exit"
grep -q '^FAIL reg/grad_x2  penalty gradient' "$T/out" || fail "--plugin-path fixture message"

# bad input: exit 2 with a message
"$NN_CMD" check optim/adma > "$T/out" 2> "$T/err"; [ $? = 2 ] || fail "unknown plugin exit"
grep -q "unknown optim plugin 'adma'; did you mean 'adam'" "$T/err" || fail "unknown plugin message: $(cat "$T/err")"
"$NN_CMD" check "$T/nothing.so" 2> "$T/err" > /dev/null; [ $? = 2 ] || fail "missing file exit"
grep -q "no such plugin file" "$T/err" || fail "missing file message"
"$NN_CMD" check --bogus 2> /dev/null; [ $? = 2 ] || fail "bad option exit"
"$NN_CMD" check --experiment "$T/none.cfg" > /dev/null 2> "$T/err"; [ $? = 2 ] || fail "missing experiment exit"

# --experiment: a correct network passes, a wrong backward pass is caught
cat > "$T/ok.cfg" <<'CFG'
name = "ok"; data = { plugin = "planar"; n_train = 40; };
model = { hidden = [6, 4]; }; reg = ( { plugin = "l2"; lambda = 0.3; }, { plugin = "dropout"; keep_prob = 0.7; } );
CFG
"$NN_CMD" check --experiment "$T/ok.cfg" > "$T/out"; [ $? = 0 ] || { cat "$T/out"; fail "ok experiment"; }
grep -q "^PASS .*ok.cfg  gradient check of the whole network (init he, reg l2, hook dropout): difference" "$T/out" \
  || { cat "$T/out"; fail "ok experiment line"; }
grep -q "^     W1   difference" "$T/out" || fail "per-tensor lines"
sed 's/^/  /' "$T/out"
cat > "$T/bad.cfg" <<'CFG'
name = "bad"; data = { plugin = "planar"; n_train = 40; };
model = { hidden = [6, 4]; activation = "tanh"; }; reg = ( { plugin = "wrong_backward"; } );
CFG
"$NN_CMD" check --plugin-path "$F" --experiment "$T/bad.cfg" > "$T/out"; [ $? = 1 ] || { cat "$T/out"; fail "bad experiment exit"; }
grep -q "^FAIL .*bad.cfg  gradient check of the whole network.*worst tensor [Wb]1" "$T/out" \
  || { cat "$T/out"; fail "bad experiment message"; }
grep -q "^     W2   difference [0-9.]*e-1[0-9]" "$T/out" || { cat "$T/out"; fail "W2 should be fine"; }
sed 's/^/  /' "$T/out"

# no argument: every plugin on the search path (here the fixtures only)
NNLAB_PLUGIN_PATH="$F" "$NN_CMD" check --timeout 1 > "$T/out" 2>&1; rc=$?
[ $rc = 1 ] || fail "check of the fixtures path: exit $rc"
for p in reg/grad_x2 init/wrong_variance optim/static_state data/nan_data optim/bias_frozen optim/slot_overflow \
         optim/infinite_loop optim/tensor_order optim/scalars_in_step optim/scratch_state optim/eval_step0 \
         optim/eval_writes optim/evals_over optim/row_nan; do
  grep -q "^FAIL $p " "$T/out" || fail "all: $p not failed"
done
grep -q "^FAIL optim/trust_ratio " "$T/out" && fail "all: trust_ratio failed"
grep -q "^nnlab check: .* failed" "$T/out" || fail "summary line"
echo "ok"
