#!/usr/bin/env bash
# nnlab sweep under mpirun: 3 ranks share the trials of a successive-halving
# search (rank 0 plans each rung and hands trials out; every rank runs
# them) and trials.csv has exactly the values of a local sweep (row order
# and seconds aside), with trials run on every rank. Skipped (77) when nnlab
# was built without MPI or mpirun is missing.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ "${NN_MPI_BUILT:-0}" = 1 ] || { echo "nnlab built without MPI (NN_WITH_MPI): skipped"; exit 77; }
command -v mpirun > /dev/null || { echo "no mpirun (apt-get install openmpi-bin): skipped"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cat > "$T/mp.cfg" <<'CFG'
name = "mp"; seed = 4;
data  = { plugin = "planar"; shape = "moons"; n_train = 100; n_val = 50; n_test = 0; noise = 0.3; seed = 1; };
model = { hidden = [8]; };
optim = { plugin = "sgd"; lr = 0.3; };
train = { epochs = 900; threads = 1; log_every = 100; };
output = { plots = false; weights = false; };
sweep = { method = "halving"; eta = 3; metric = "val_accuracy"; repeats = 1;
          params = ( { key = "optim.lr"; values = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0]; } ); };
CFG
values() { tail -n +2 "$1/trials.csv" | awk -F, -v OFS=, '{$(NF-1) = ""; print}' | sort; }
"$NN_CMD" sweep "$T/mp.cfg" -j 1 -o "$T/local" > /dev/null 2> "$T/lerr" || fail "local sweep: $(cat "$T/lerr")"
ROOT=""; [ "$(id -u)" = 0 ] && ROOT="--allow-run-as-root"
mpirun -np 3 --oversubscribe $ROOT "$NN_CMD" sweep "$T/mp.cfg" -o "$T/mpi" > "$T/out" 2> "$T/err" \
  || fail "mpirun exit $?: $(tail -5 "$T/err")"
[ "$(tail -n +2 "$T/mpi/trials.csv" | wc -l)" = 13 ] || fail "MPI rows: $(cat "$T/mpi/trials.csv")"
[ "$(values "$T/local")" = "$(values "$T/mpi")" ] || fail "MPI and local differ: $(diff <(values "$T/local") <(values "$T/mpi"))"
for r in 0 1 2; do grep -q "on rank $r: ok" "$T/err" || fail "no trial ran on rank $r: $(cat "$T/err")"; done
grep -q "rung 2 done; the best configuration goes on to 900 epochs" "$T/err" || fail "rungs: $(cat "$T/err")"
grep -q "13 of 13 trials done" "$T/out" || fail "leaderboard: $(head -4 "$T/out")"
# a bad sweep under mpirun: every rank stops, exit 2, one message
sed 's/values = \[0.003/values = [-1.0/' "$T/mp.cfg" > "$T/bad.cfg"
mpirun -np 3 --oversubscribe $ROOT "$NN_CMD" sweep "$T/bad.cfg" -o "$T/bad" > /dev/null 2> "$T/berr"; rc=$?
[ $rc = 2 ] || fail "bad sweep under mpirun: exit $rc: $(cat "$T/berr")"
[ "$(grep -c "bad.cfg:8: sweep.params\[0\]: optim.lr = -1.0" "$T/berr")" = 1 ] || fail "message: $(cat "$T/berr")"
[ -e "$T/bad" ] && fail "a bad sweep under mpirun wrote a folder"
echo "sweep_mpi: ok ($(grep -c 'on rank' "$T/err") trials over 3 ranks, the same values as a local sweep)"
