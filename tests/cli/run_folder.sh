#!/usr/bin/env bash
# Run folders are never half old and half new: a folder holding a run is
# refused (exit 2, nothing touched) unless --force, which removes the old
# outputs first (and nothing else); summary.json is written last; temporary
# files of dead processes are removed by the next run there, a live
# process's are left alone; a write that fails (a file-size limit, as on a
# full disk) names the file, exits 2, leaves no temporary and no partial
# file, the files written before it complete and summary.json saying
# "incomplete" with the reason.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
EXP="$NN_SOURCE_DIR/experiments/init_he.cfg"
run() { "$NN_CMD" run "$EXP" -q -s train.epochs=300 -s train.log_every=1 "$@"; }

run -o "$T/a" > /dev/null || fail "first run"
# summary.json last: no file of the folder is newer
[ -z "$(find "$T/a" -newer "$T/a/summary.json" -type f)" ] || fail "files newer than summary.json"
# a folder that holds a run: refused, untouched
sum_before=$(find "$T/a" -type f -exec md5sum {} + | sort)
run -o "$T/a" > /dev/null 2> "$T/err"; rc=$?
[ $rc = 2 ] || fail "rerun into a run folder: exit $rc"
for w in "$T/a: holds a run already" "config.cfg" "summary.json" "--force" "--resume"; do
  grep -qF -- "$w" "$T/err" || fail "refusal message lacks '$w': $(cat "$T/err")"
done
[ "$(find "$T/a" -type f -exec md5sum {} + | sort)" = "$sum_before" ] || fail "the refused run changed the folder"
# an empty folder, or one with only other files, is fine
mkdir -p "$T/empty" "$T/other" && echo notes > "$T/other/notes.txt"
run -o "$T/empty" > /dev/null || fail "empty folder refused"
run -o "$T/other" > /dev/null || fail "folder with other files refused"
[ -f "$T/other/notes.txt" ] || fail "the run removed a file of the user's"

# --force: old outputs removed first (an old figure the new run does not
# write goes too), the user's files and live temporaries stay, dead ones go
sh -c 'exit 0' & dead=$!; wait $dead
echo stale > "$T/a/old_figure.png"
echo notes > "$T/a/notes.txt"
echo x > "$T/a/metrics.csv.tmp.$dead"
echo x > "$T/a/weights/W1.npy.tmp.$dead"
echo x > "$T/a/loss.png.tmp.$$"   # this shell is alive
run -o "$T/a" --force -s train.epochs=200 > /dev/null || fail "--force run"
[ -e "$T/a/old_figure.png" ] && fail "--force kept an old figure"
[ -f "$T/a/notes.txt" ] || fail "--force removed a file of the user's"
[ -e "$T/a/metrics.csv.tmp.$dead" ] && fail "stale temporary of a dead process left"
[ -e "$T/a/weights/W1.npy.tmp.$dead" ] && fail "stale temporary in weights/ left"
[ -f "$T/a/loss.png.tmp.$$" ] || fail "a live process's temporary was removed"
grep -q '"epochs": 200' "$T/a/summary.json" || fail "--force: summary.json is not the new run's"
[ "$(wc -l < "$T/a/metrics.csv")" -eq 201 ] || fail "--force: metrics.csv is not the new run's"
rm -f "$T/a/loss.png.tmp.$$"
# dead temporaries also go when the run is refused
echo x > "$T/a/summary.json.tmp.$dead"
run -o "$T/a" > /dev/null 2>&1
[ -e "$T/a/summary.json.tmp.$dead" ] && fail "stale temporary left by a refused run"

# injected write failures: a file-size limit of 8 KB (EFBIG, as a full disk
# gives ENOSPC). metrics.csv (22 KB) fails; config.cfg and the initial
# weights before it are complete, equal to an unlimited run's.
run -o "$T/ref" -s output.plots=false > /dev/null || fail "reference run"
(ulimit -f 8; run -o "$T/lim" -s output.plots=false > /dev/null 2> "$T/err"); rc=$?
[ $rc = 2 ] || fail "metrics.csv over the limit: exit $rc ($(cat "$T/err"))"
grep -q "$T/lim/metrics.csv: write failed: File too large" "$T/err" || fail "message: $(cat "$T/err")"
[ -e "$T/lim/metrics.csv" ] && fail "a partial metrics.csv"
find "$T/lim" -name '*.tmp.*' | grep -q . && fail "temporaries left: $(find "$T/lim" -name '*.tmp.*')"
cmp -s "$T/ref/config.cfg" "$T/lim/config.cfg" || fail "config.cfg differs from the reference run's"
for f in "$T/ref/initial_weights"/*.npy; do
  cmp -s "$f" "$T/lim/initial_weights/$(basename "$f")" || fail "initial weight $(basename "$f") differs"
done
grep -q '"status": "incomplete"' "$T/lim/summary.json" || fail "summary.json does not say incomplete"
grep -q 'metrics.csv: write failed' "$T/lim/summary.json" || fail "summary.json lacks the reason"
# a figure over the limit (64 KB: decision_boundary.png is about 90 KB): the
# figure is named, no partial or temporary figure is left, the rest complete
(ulimit -f 64; run -o "$T/fig" > /dev/null 2> "$T/err"); rc=$?
[ $rc = 2 ] || fail "a figure over the limit: exit $rc ($(cat "$T/err"))"
grep -q "$T/fig/decision_boundary.png: write failed" "$T/err" || fail "figure message: $(cat "$T/err")"
[ -e "$T/fig/decision_boundary.png" ] && fail "a partial figure"
find "$T/fig" -name '*.tmp.*' | grep -q . && fail "temporary figure left"
for f in "$T/ref/weights"/*.npy; do
  cmp -s "$f" "$T/fig/weights/$(basename "$f")" || fail "weight $(basename "$f") differs"
done
[ "$(wc -l < "$T/fig/metrics.csv")" -eq 301 ] || fail "metrics.csv incomplete"
grep -q '"status": "incomplete"' "$T/fig/summary.json" || fail "summary.json does not say incomplete"
echo "run_folder.sh: refusal, --force, stale temporaries, write failures ok"
