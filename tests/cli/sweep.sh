#!/usr/bin/env bash
# nnlab sweep with -g axes (no sweep section): every combination runs as its
# own run folder (in parallel), trials.csv has one row each, the leaderboard
# ranks them with diverged trials last, figures and best/ exist, --status
# reads the folder; bad grids are refused before anything runs; the exit
# status reflects the trials; --dry-run prints the plan and writes nothing.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
EXP="$NN_SOURCE_DIR/experiments/init_he.cfg"

printf 'name="sw"; seed=4;\ndata={plugin="planar"; shape="moons"; n_train=100; noise=0.3;};\nmodel={hidden=[8];};\ninit={plugin="random"; scale=1.0;};\noptim={plugin="sgd"; lr=0.1;};\ntrain={epochs=100; threads=1;};\noutput={weights=false;};\n' > "$T/sw.cfg"
"$NN_CMD" sweep "$T/sw.cfg" -g optim.lr=0.05,0.5,1e6 -g 'model.hidden=[8],[4]' -s init.scale=100.0 \
  -j 2 -o "$T/s" > "$T/out" 2> "$T/err"; rc=$?
[ $rc = 1 ] || fail "sweep with a diverged run: exit $rc (want 1): $(cat "$T/err")"
[ "$(ls -d "$T"/s/trials/* | wc -l)" = 6 ] || fail "expected 6 trial folders: $(ls "$T/s/trials")"
for f in sweep.md trials.csv plan.csv sweep.txt experiment.cfg best_runs.png metric_optim.lr.png \
         metric_model.hidden.png best/summary.json best/config.cfg; do
  [ -s "$T/s/$f" ] || fail "missing $f"
done
for d in "$T"/s/trials/*; do
  for f in config.cfg summary.json metrics.csv run.log; do [ -s "$d/$f" ] || fail "missing $d/$f"; done
done
[ "$(tail -n +2 "$T/s/trials.csv" | wc -l)" = 6 ] || fail "trials.csv rows: $(cat "$T/s/trials.csv")"
head -1 "$T/s/trials.csv" | grep -q '^trial,config,repeat,epochs,status,optim.lr,model.hidden,train_accuracy,val_accuracy,best_val_accuracy,test_accuracy,final_loss,iterations,gradient_evaluations,seconds,reason$' \
  || fail "header: $(head -1 "$T/s/trials.csv")"
# each trial's resolved config has its values, its own name, one BLAS thread
id=$(awk -F, '$6 == "0.05" && $7 == "[4]" {print $1}' "$T/s/trials.csv")
[ -n "$id" ] || fail "no row for lr 0.05, [4]"
grep -q 'lr = 0.0500000*[0-9]*;' "$T/s/trials/$id/config.cfg" || fail "config of $id: lr"
grep -q 'hidden = \[4\];' "$T/s/trials/$id/config.cfg" || fail "config of $id: hidden"
grep -q "name = \"sw_$id\";" "$T/s/trials/$id/config.cfg" || fail "config of $id: name"
grep -q 'scale = 100.0;' "$T/s/trials/$id/config.cfg" || fail "config of $id: -s init.scale"
grep -q '^sweep' "$T/s/trials/$id/config.cfg" && fail "the resolved config keeps a sweep section"
# ranked by training accuracy (no validation split), decreasing; diverged last
grep -q "ranked by train_accuracy" "$T/out" || fail "ranking line: $(head -5 "$T/out")"
[ "$(grep -c '^| [0-9]' "$T/s/sweep.md")" = 6 ] || fail "sweep.md rows"
grep '^| [0-9]' "$T/out" | grep '| ok |$' | awk -F'|' '{print $7}' > "$T/acc"
[ "$(wc -l < "$T/acc")" = 4 ] || fail "ok rows: $(cat "$T/out")"
sort -r -g "$T/acc" | cmp -s - "$T/acc" || fail "not ranked: $(cat "$T/acc")"
grep '1e+06\|1000000' "$T/out" | grep -c "diverged" | grep -q 2 || fail "lr 1e6 did not diverge: $(cat "$T/out")"
last_ok=$(grep -n '| ok |$' "$T/out" | tail -1 | cut -d: -f1)
first_bad=$(grep -n '^| [0-9]' "$T/out" | grep -v '| ok |$' | head -1 | cut -d: -f1)
[ "$first_bad" -gt "$last_ok" ] || fail "a diverged run ranks above an ok one"
# best/ is the top configuration's trial
best=$(grep '^| 1 |' "$T/out" | awk -F'|' '{print $3}' | tr -d ' ')
[ "$(readlink "$T/s/best")" = "trials/$(awk -F, -v c="$best" '$2 == c {print $1}' "$T/s/trials.csv")" ] \
  || fail "best -> $(readlink "$T/s/best"), top config $best"
# --status reads the folder (read only)
"$NN_CMD" sweep --status "$T/s" > "$T/status" || fail "--status exit $?"
grep -q "6 of 6 trials done, 0 running, 2 failed" "$T/status" || fail "status: $(head -5 "$T/status")"
# rerunning finds everything recorded and runs nothing
"$NN_CMD" sweep "$T/sw.cfg" -g optim.lr=0.05,0.5,1e6 -g 'model.hidden=[8],[4]' -s init.scale=100.0 \
  -o "$T/s" > /dev/null 2> "$T/err2"
grep -q "6 already recorded" "$T/err2" || fail "rerun: $(cat "$T/err2")"
grep -q "done, .* running" "$T/err2" && fail "rerun ran trials again: $(cat "$T/err2")"
[ "$(tail -n +2 "$T/s/trials.csv" | wc -l)" = 6 ] || fail "rows after a rerun"

# a bad value in the grid: exit 2, message, nothing written
"$NN_CMD" sweep "$EXP" -g optim.lr=0.1,-5 -o "$T/bad" 2> "$T/err"; rc=$?
[ $rc = 2 ] || fail "bad grid exit $rc"
grep -q -- "-g optim.lr: value -5 refused" "$T/err" || fail "message: $(cat "$T/err")"
[ -e "$T/bad" ] && fail "bad grid left a folder"
"$NN_CMD" sweep "$EXP" -o "$T/none" 2> "$T/err"; [ $? = 2 ] || fail "no grid accepted"
grep -q "nothing to vary" "$T/err" || fail "no grid message: $(cat "$T/err")"
# --dry-run: the plan, nothing written
"$NN_CMD" sweep "$T/sw.cfg" -g optim.lr=0.05,0.1 -o "$T/dry" --dry-run > "$T/plan" || fail "dry run exit $?"
[ "$(grep -c '^[0-9a-f]\{10\},' "$T/plan")" = 2 ] || fail "dry run plan: $(cat "$T/plan")"
[ -e "$T/dry" ] && fail "--dry-run wrote a folder"
# all trials fine: exit 0; a trial whose data file is missing: recorded as error, exit 2
"$NN_CMD" sweep "$T/sw.cfg" -g optim.lr=0.05,0.1 -s train.epochs=20 -s output.plots=false -o "$T/fine" \
  > /dev/null 2>&1 || fail "ok sweep exit $?"
printf 'name="nf"; data={plugin="npy"; x_train="missing.npy"; y_train="missing_y.npy";};\n' > "$T/nf.cfg"
"$NN_CMD" sweep "$T/nf.cfg" -g optim.lr=0.05,0.1 -o "$T/nf" > /dev/null 2> "$T/err"; rc=$?
[ $rc = 2 ] || fail "sweep over missing data: exit $rc (want 2): $(cat "$T/err")"
[ "$(grep -c ',error,' "$T/nf/trials.csv")" = 2 ] || fail "missing data not recorded: $(cat "$T/nf/trials.csv")"
grep -q "missing.npy" "$T/nf/trials.csv" || fail "reason: $(cat "$T/nf/trials.csv")"
# the leaderboard counts gradient evaluations: SAM takes two per step, SGD one
cat > "$T/ge.cfg" <<'CFG'
name = "ge"; seed = 2;
data  = { plugin = "planar"; shape = "moons"; n_train = 40; n_val = 20; n_test = 0; noise = 0.2; seed = 1; };
model = { hidden = [4]; };
optim = { plugin = "sgd"; lr = 0.1; };
train = { epochs = 15; threads = 1; log_every = 5; };
output = { plots = false; weights = false; };
sweep = { params = ( { key = "optim.plugin"; values = ["sgd", "sam"]; } ); };
CFG
"$NN_CMD" sweep "$T/ge.cfg" -j 1 -o "$T/ge" > "$T/ge.out" 2>&1 || fail "grad-evals sweep: $(cat "$T/ge.out")"
grep -q "| grad evals | seconds |" "$T/ge/sweep.md" || fail "no grad evals column: $(grep '^| rank' "$T/ge/sweep.md")"
for p in sgd:15 sam:30; do # the cell before seconds, and trials.csv's column
  row=$(grep "^| [0-9]* | [0-9a-f]* | \"${p%:*}\" |" "$T/ge/sweep.md")
  cell=$(echo "$row" | awk -F'|' '{print $(NF-3)}' | tr -d ' ')
  [ "$cell" = "${p#*:}" ] || fail "${p%:*}: grad evals '$cell', want ${p#*:}: $row"
  col=$(awk -F, -v p="${p%:*}" 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "gradient_evaluations") g = i}
        NR > 1 && index($0, ",\"\"\"" p "\"\"\",") {print $g}' "$T/ge/trials.csv")
  [ "$col" = "${p#*:}" ] || fail "${p%:*}: trials.csv gradient_evaluations '$col'"
done
echo "sweep: ok"
