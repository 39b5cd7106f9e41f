#!/usr/bin/env bash
# Failed writes, as on a full disk, injected with tests/faults/enospc.c
# (LD_PRELOAD: writes past N bytes of a file whose path matches fail with
# ENOSPC; or its fsync, or its rename): for metrics.csv, a weight, the
# initial weights, config.cfg, summary.json, a figure and a sweep's
# trials.csv the failure names the file and ENOSPC, exits 2, leaves no
# temporary and no partial file, and the files written before it are
# complete and equal to an undisturbed run's. A rewritten file (trials.csv)
# keeps its previous complete version, and the sweep then resumes to the end.
# Skipped (77) in a sanitizer build: the sanitizer runtime must come first in
# the process, before any preloaded library.
set -u
fail() { echo "FAIL: $*"; exit 1; }
SHIM=$NN_BUILD_DIR/tests/faults/nn_enospc.so
[ -f "$SHIM" ] || fail "no $SHIM (built by tests/CMakeLists.txt)"
if ldd "$NN_CMD" | grep -q 'libasan\|libtsan\|libubsan'; then
  echo "SKIP: sanitizer build (an LD_PRELOAD library cannot precede the sanitizer runtime)"
  exit 77
fi
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
EXP="$NN_SOURCE_DIR/experiments/init_he.cfg"
run() { "$NN_CMD" run "$EXP" -q -s train.epochs=300 -s train.log_every=1 "$@" > /dev/null; }
# faulty OP MATCH AFTER SKIP CMD...: CMD with the injection
faulty() {
  local op=$1 match=$2 after=$3 skip=$4
  shift 4
  NN_ENOSPC_OP=$op NN_ENOSPC_MATCH=$match NN_ENOSPC_AFTER=$after NN_ENOSPC_SKIP=$skip \
    LD_PRELOAD=$SHIM "$@"
}
# metrics.csv without its seconds column (the only one that differs between runs)
untimed() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") t = i }
                     { s = ""; for (i = 1; i <= NF; i++) if (i != t) s = s $i ","; print s }' "$1"; }
same() { # file of ref and of the run: equal
  if [ "$1" = metrics.csv ]; then
    cmp -s <(untimed "ref/$1") <(untimed "$2/$1") || fail "$2: $1 differs from the undisturbed run's"
  else
    cmp -s "ref/$1" "$2/$1" || fail "$2: $1 differs from the undisturbed run's"
  fi
}
run -o ref || fail "reference run"
for f in config.cfg metrics.csv summary.json loss.png weights/W1.npy initial_weights/W1.npy; do
  [ -s "ref/$f" ] || fail "reference run: no $f"
done
# with the library loaded and a pattern that matches nothing, the run is
# the undisturbed one (the streams it hands out write every byte)
faulty write '*/no-such-file' 0 0 run -o n || fail "a run with nothing injected failed"
for f in config.cfg metrics.csv loss.png weights/W1.npy initial_weights/W1.npy; do same "$f" n; done

# check_failed DIR FILE [WHY]: the run into DIR failed on FILE
check_failed() {
  local dir=$1 file=$2 why=${3:-No space left on device} rc=$4
  [ "$rc" = 2 ] || fail "$file: exit $rc, expected 2 ($(cat err))"
  grep -qF "$dir/$file: write failed: $why" err || fail "$file: message '$(cat err)' lacks '$dir/$file: write failed: $why'"
  [ "$(grep -c . err)" = 1 ] || fail "$file: more than one message: $(cat err)"
  [ -e "$dir/$file" ] && fail "$file: a partial $file is left"
  find "$dir" -name '*.tmp.*' | grep -q . && fail "$file: temporaries left: $(find "$dir" -name '*.tmp.*')"
  return 0
}

# metrics.csv (written after training): config.cfg and the initial weights
# before it are whole; summary.json says incomplete and why
faulty write '*/metrics.csv.tmp.*' 1000 0 run -o m 2> err; check_failed m metrics.csv "" $?
same config.cfg m
for f in ref/initial_weights/*.npy; do same "initial_weights/$(basename "$f")" m; done
grep -q '"status": "incomplete"' m/summary.json || fail "metrics.csv: summary.json does not say incomplete"
grep -q 'metrics.csv: write failed: No space left on device' m/summary.json || fail "metrics.csv: summary.json lacks the reason"
# fsync and rename of metrics.csv fail the same way
faulty fsync '*/metrics.csv.tmp.*' 0 0 run -o ms 2> err; check_failed ms metrics.csv "" $?
faulty rename '*/metrics.csv.tmp.*' 0 0 run -o mr 2> err; check_failed mr metrics.csv "" $?
# a weight: metrics.csv before it is whole
faulty write '*/weights/W2.npy.tmp.*' 100 0 run -o w 2> err; check_failed w weights/W2.npy "" $?
same metrics.csv w
same config.cfg w
# the initial weights (the first files after config.cfg) and config.cfg
faulty write '*/initial_weights/b1.npy.tmp.*' 0 0 run -o i 2> err; check_failed i initial_weights/b1.npy "" $?
same config.cfg i
faulty write '*/config.cfg.tmp.*' 10 0 run -o c 2> err; check_failed c config.cfg "" $?
# summary.json, written last: everything else complete, and without a
# summary.json the folder reads as incomplete
faulty write '*/summary.json.tmp.*' 10 0 run -o s 2> err; check_failed s summary.json "" $?
for f in metrics.csv config.cfg loss.png accuracy.png decision_boundary.png weights/W1.npy weights/b2.npy; do
  same "$f" s
done
# a figure: its writer (cairo) reports nothing, the figure is checked whole
faulty write '*/loss.png.tmp.*' 2000 0 run -o f 2> err
check_failed f loss.png "the figure was not written whole (disk full?)" $?
same metrics.csv f
same weights/W1.npy f
grep -q '"status": "incomplete"' f/summary.json || fail "loss.png: summary.json does not say incomplete"

# a sweep's trials.csv, rewritten after every trial: the third write fails;
# the version before it is whole, and the sweep then resumes to the end
cat > s.cfg <<'CFG'
name = "s";
seed = 1;
data  = { plugin = "planar"; shape = "moons"; n_train = 40; n_val = 10; n_test = 10; };
model = { hidden = [4]; };
optim = { plugin = "sgd"; lr = 0.1; };
train = { epochs = 20; log_every = 5; };
output = { plots = false; };
sweep = { params = ( { key = "optim.lr"; values = [0.1, 0.2, 0.3, 0.4]; } ); };
CFG
"$NN_CMD" sweep s.cfg -o sref -j 1 > /dev/null 2>&1 || fail "reference sweep"
faulty write '*/trials.csv.tmp.*' 0 2 "$NN_CMD" sweep s.cfg -o sw -j 1 > /dev/null 2> err; rc=$?
[ $rc = 2 ] || fail "trials.csv: exit $rc ($(cat err))"
grep -qF "sw/trials.csv: write failed: No space left on device" err || fail "trials.csv: message: $(cat err)"
find sw -name 'trials.csv.tmp.*' | grep -q . && fail "trials.csv: temporary left"
rows=$(($(wc -l < sw/trials.csv) - 1))
[ $rows -ge 1 ] && [ $rows -lt 4 ] || fail "trials.csv: $rows rows kept, expected the 1 to 3 before the failure"
head -1 sref/trials.csv | cmp -s - <(head -1 sw/trials.csv) || fail "trials.csv: header differs"
[ "$(tail -c 1 sw/trials.csv | od -An -c | tr -d ' ')" = '\n' ] || fail "trials.csv: last line cut"
ok=$(grep -c ',ok,' sw/trials.csv)
[ "$ok" = "$rows" ] || fail "trials.csv: $ok of $rows rows ok"
"$NN_CMD" sweep s.cfg -o sw -j 1 > /dev/null 2> err || fail "resuming the sweep: $(cat err)"
cut -d, -f1,2,5,6 sw/trials.csv | sort | cmp -s - <(cut -d, -f1,2,5,6 sref/trials.csv | sort) ||
  fail "the resumed sweep's trials differ from the undisturbed sweep's"
echo "write_faults.sh: metrics.csv (write, fsync, rename), weights, initial weights, config.cfg, summary.json, a figure, trials.csv: ok"
