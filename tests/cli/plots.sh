#!/usr/bin/env bash
# Figures in the run folder (PNG signature and IHDR size) for 2-D and image
# data, output.plots / output.log_scale, nnlab compare (table, compare.md,
# compare.png), nnlab eval (same accuracies as the run, best_weights, --data).
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
EXP="$NN_SOURCE_DIR/experiments/init_he.cfg"

# png FILE W H: a PNG whose IHDR says W x H
png() {
  [ -s "$1" ] || fail "missing $1"
  [ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$1: not a PNG"
  read -r w0 w1 w2 w3 h0 h1 h2 h3 < <(od -An -tu1 -j16 -N8 "$1")
  local w=$(( (w0 << 24) | (w1 << 16) | (w2 << 8) | w3 )) h=$(( (h0 << 24) | (h1 << 16) | (h2 << 8) | h3 ))
  [ "$w x $h" = "$2 x $3" ] || fail "$1: $w x $h, expected $2 x $3"
}

"$NN_CMD" run "$EXP" -o "$T/a" -q -s train.epochs=300 -s train.log_every=50 > "$T/a.out" || fail "run failed"
png "$T/a/loss.png" 800 500
png "$T/a/accuracy.png" 800 500
png "$T/a/decision_boundary.png" 700 600
[ -e "$T/a/misclassified.png" ] && fail "misclassified.png for 2-D data"
ls "$T/a" | grep -q '\.tmp\.' && fail "temporary files left behind"

"$NN_CMD" run "$EXP" -o "$T/b" -q -s train.epochs=50 -s output.plots=false > /dev/null || fail "run without plots"
ls "$T/b" | grep -q '\.png$' && fail "output.plots=false still wrote figures"
"$NN_CMD" run "$EXP" -o "$T/c" -q -s train.epochs=50 -s output.log_scale=true > /dev/null || fail "log scale run"
png "$T/c/loss.png" 800 500

# no PLplot drivers, or none for cairo: exit 2 with a message, the rest of the run folder
# written, summary.json last with status "incomplete" and the reason
mkdir -p "$T/nodrv" "$T/nocairo"
DRV=$(dirname "$(find /usr/lib -name null.driver_info -path '*plplot*' 2> /dev/null | head -1)")
[ -f "$DRV/null.driver_info" ] && cp "$DRV"/null.* "$T/nocairo/"
for dd in nodrv nocairo; do
  PLPLOT_DRV_DIR="$T/$dd" "$NN_CMD" run "$EXP" -o "$T/$dd.run" -q -s train.epochs=20 > /dev/null 2> "$T/err"; rc=$?
  [ $rc = 2 ] || fail "$dd: exit $rc"
  grep -q "^nnlab: plots: PLplot" "$T/err" || fail "$dd: message: $(cat "$T/err")"
  [ -s "$T/$dd.run/summary.json" ] || fail "$dd: no summary.json"
  grep -q '"status": "incomplete"' "$T/$dd.run/summary.json" || fail "$dd: status not incomplete"
  grep -q '"error": ".*PLplot' "$T/$dd.run/summary.json" || fail "$dd: no error in summary.json"
  ls "$T/$dd.run" | grep -q 'png\|\.tmp\.' && fail "$dd: figure or temporary left"
done

# image data (test fixture plugin): misclassified.png, no decision boundary
cat > "$T/img.cfg" <<'EOF'
name = "tiny_images"; seed = 1;
data = { plugin = "tiny_images"; channels = 3; };
model = { hidden = [16]; };
optim = { plugin = "adam"; lr = 0.01; };
train = { epochs = 20; batch_size = 32; log_every = 5; };
EOF
"$NN_CMD" run "$T/img.cfg" -o "$T/img" -q --plugin-path "$NN_FIXTURE_DIR" > /dev/null || fail "image run"
# 3 classes of 8x8 images drawn 8x larger: 150 + 8 * (64 + 10) + 10 by 56 + 3 * (64 + 22 + 10) + 10
png "$T/img/misclassified.png" 752 354
png "$T/img/loss.png" 800 500
[ -e "$T/img/decision_boundary.png" ] && fail "decision boundary for image data"

# compare
"$NN_CMD" run "$EXP" -o "$T/d" -q -s train.epochs=300 -s name='"other"' -s optim.lr=0.1 > /dev/null || fail "second run"
"$NN_CMD" compare "$T/a" "$T/d" "$T/img" -o "$T/cmp" > "$T/cmp.out" || fail "compare failed"
grep -q '^| init_he ' "$T/cmp.out" || fail "no init_he row: $(cat "$T/cmp.out")"
grep -q '^| other ' "$T/cmp.out" || fail "no other row"
grep -q '^| tiny_images ' "$T/cmp.out" || fail "no tiny_images row"
grep -q "| status " "$T/cmp/compare.md" || fail "compare.md table"
png "$T/cmp/compare.png" 1400 560
"$NN_CMD" compare "$T/a" "$T/nowhere" -o "$T/cmp2" 2> "$T/err" > /dev/null; rc=$?
[ $rc = 2 ] || fail "compare of a missing folder: exit $rc"
grep -q "nowhere/summary.json" "$T/err" || fail "compare message: $(cat "$T/err")"

# eval: the run's numbers again
"$NN_CMD" eval "$T/a" > "$T/eval.out" || fail "eval failed"
grep -q "^weights: $T/a/weights$" "$T/eval.out" || fail "eval header: $(cat "$T/eval.out")"
diff <(grep accuracy "$T/a.out") <(grep accuracy "$T/eval.out") > /dev/null || fail "eval differs from run"
"$NN_CMD" run "$EXP" -o "$T/v" -q -s train.epochs=300 -s data.n_val=60 > "$T/v.out" || fail "val run"
"$NN_CMD" eval "$T/v" > "$T/v.eval" || fail "eval with best weights"
grep -q "^best_weights: " "$T/v.eval" || fail "no best_weights section"
[ "$(grep '^test accuracy' "$T/v.out" | cut -d' ' -f3)" = "$(grep '^test accuracy' "$T/v.eval" | tail -1 | cut -d' ' -f3)" ] \
  || fail "best model test accuracy differs: $(cat "$T/v.out" "$T/v.eval")"
"$NN_CMD" eval "$T/a" --data "$NN_SOURCE_DIR/experiments/init_zeros.cfg" > "$T/other.out" || fail "eval --data"
grep -q '^test accuracy: ' "$T/other.out" || fail "eval --data output"
"$NN_CMD" eval "$T/a" --data "$T/img.cfg" --plugin-path "$NN_FIXTURE_DIR" 2> "$T/err" > /dev/null; rc=$?
[ $rc = 2 ] || fail "eval on data of another shape: exit $rc"
"$NN_CMD" eval "$T/nowhere" 2> "$T/err"; [ $? = 2 ] || fail "eval of a missing folder"
# data files relative to the experiment: the run folder's config.cfg records
# base_dir, so eval (and a rerun of config.cfg) finds them
"$NN_CMD" export "$EXP" -o "$T/npd" > /dev/null || fail "export"
printf 'name="rel"; data={plugin="npy"; x_train="npd/X_train.npy"; y_train="npd/y_train.npy";};\ntrain={epochs=20;};\n' > "$T/rel.cfg"
"$NN_CMD" run "$T/rel.cfg" -o "$T/rel" -q > "$T/rel.out" || fail "npy run"
"$NN_CMD" eval "$T/rel" | grep -q "^$(cat "$T/rel.out")$" || fail "eval on relative files"
mv "$T/npd" "$T/npd_moved"
"$NN_CMD" eval "$T/rel" 2> "$T/err" > /dev/null; [ $? = 2 ] || fail "eval with the data gone"
grep -q -- "--data EXPERIMENT_FILE" "$T/err" || fail "no --data hint: $(cat "$T/err")"
mv "$T/npd_moved" "$T/npd"
"$NN_CMD" eval "$T/rel" --data "$T/rel.cfg" | grep -q "^$(cat "$T/rel.out")$" || fail "eval --data on relative files"
echo "plots: ok"
