#!/usr/bin/env bash
# Follows docs/writing-an-optimizer.md end to end on a fresh install of this
# build into a temporary prefix: every ```sh block runs, in order, in one
# shell (set -e: any failing command fails the test); a block preceded by
# <!-- guide.sh: file NAME --> is written to NAME; <!-- guide.sh: skip -->
# skips the next block. Then checks what the guide promises: the first
# example (my_opt) built both ways, listed, checked and trained; the matrix
# example (my_muon.c, compiled as printed against the installed header)
# passes nnlab check with the summary the guide prints and trains to the
# weights of the bundled muon (weight decays 0) within 1e-9; the
# evaluation-point example (my_ema.c) passes nnlab check.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
GUIDE="$NN_SOURCE_DIR/docs/writing-an-optimizer.md"
[ -f "$GUIDE" ] || fail "no guide"
command -v pkg-config > /dev/null || { echo "pkg-config missing: skipped"; exit 77; }

# The guide's "nnlab source folder": `build` is this build.
mkdir -p "$T/src" "$T/home"
ln -s "$NN_BUILD_DIR" "$T/src/build"

awk '
  /^<!-- guide\.sh: skip/ { skip = 1; next }
  /^<!-- guide\.sh: file / { file = $4; next }
  /^```/ && !inblock {
    inblock = 1; info = substr($0, 4)
    if (skip) mode = "skip"; else if (file != "") mode = "file"; else if (info == "sh") mode = "sh"; else mode = "skip"
    if (mode == "file") print "cat > " file " <<'\''GUIDE_EOF'\''"
    if (mode == "sh") print "# ---- guide block"
    next
  }
  /^```/ && inblock {
    if (mode == "file") print "GUIDE_EOF"
    inblock = 0; skip = 0; file = ""; next
  }
  inblock && (mode == "sh" || mode == "file") { print }
' "$GUIDE" > "$T/guide_steps.sh"
grep -q "nnlab new optim my_opt" "$T/guide_steps.sh" || fail "extraction: $(cat "$T/guide_steps.sh")"

(
  cd "$T/src"
  export HOME="$T/home" PREFIX="$T/prefix"
  unset NNLAB_PLUGIN_PATH PKG_CONFIG_PATH
  set -ex
  . "$T/guide_steps.sh"
) > "$T/log" 2>&1 || { cat "$T/log"; fail "a guide step failed (log above)"; }

P="$T/src/my_plugins"
[ -x "$T/prefix/bin/nnlab" ] || fail "nnlab not installed"
[ -f "$T/prefix/lib/pkgconfig/nnlab.pc" ] || fail "nnlab.pc not installed"
[ -f "$T/prefix/lib/cmake/nnlab/nnlabConfig.cmake" ] || fail "CMake package not installed"
[ -f "$T/prefix/include/nnlab/plugin.h" ] || fail "header not installed"
[ -f "$P/my_opt.so" ] && [ -f "$P/cmake_build/my_opt.so" ] || fail "plugin not built both ways"
grep -q '^optim  *my_opt  *Nesterov momentum with coupled weight decay' "$T/log" || { cat "$T/log"; fail "nnlab list does not show my_opt"; }
[ "$(grep -c '^nnlab check: [0-9]* passed, 0 failed' "$T/log")" -ge 5 ] || { cat "$T/log"; fail "checks did not all pass"; }
! grep -q '^nnlab check: .* [1-9][0-9]* failed' "$T/log" || { cat "$T/log"; fail "a check failed"; }
grep -q '^PASS optim/my_opt  converges on a convex quadratic' "$T/log" || fail "no convergence line"
grep -q '^PASS .*moons.cfg  gradient check of the whole network' "$T/log" || fail "no experiment gradient check"
grep -q '"status": "ok"' "$P/runs/moons_my_opt/summary.json" || fail "run did not finish"
grep -q 'plugin = "my_opt"' "$P/runs/moons_my_opt/config.cfg" || fail "resolved config"
grep -q '^test accuracy: ' "$T/log" || fail "no test accuracy"
# the installed nnlab is the one used, and it finds the installed plugins
grep -q "$T/prefix/bin/nnlab\|+ nnlab" "$T/log" || true
PATH="$T/prefix/bin:$PATH" NNLAB_PLUGIN_PATH= nnlab list optim | grep -q '^optim  *adam' || fail "installed nnlab lists no bundled optimizers"

# the matrix example: written from the guide, built against the installed
# header, checked with the summary and the checks the guide names
grep -q 'NN_OPTIM_MATRIX' "$P/my_muon.c" && grep -q 'nn_gemm' "$P/my_muon.c" || fail "my_muon.c not extracted"
[ -f "$P/my_muon.so" ] && [ -f "$P/my_ema.so" ] || fail "my_muon.so / my_ema.so not built"
summary=$(sed -n 's/^The summary reads `\([^`]*\)`.*/\1/p' "$GUIDE")
[ -n "$summary" ] || fail "the guide names no summary for my_muon"
grep -q "^nnlab check: $summary (1 plugin" "$T/log" || { cat "$T/log"; fail "my_muon: no summary '$summary'"; }
for c in 'PASS optim/my_muon  same update whatever the order of tensors' \
         'SKIP optim/my_muon  same update whatever the split' \
         'PASS optim/my_muon  scratch holds no state' \
         'PASS optim/my_muon  degenerate shapes stay finite' \
         'PASS optim/my_muon  zero gradient changes nothing' \
         'PASS optim/my_muon  converges on a convex quadratic' \
         'PASS optim/my_ema  evaluation point' \
         'PASS optim/my_ema  converges on a convex quadratic'; do
  grep -q "^$c" "$T/log" || { cat "$T/log"; fail "no line '$c'"; }
done
if grep -q '^FAIL optim/my_' "$T/log"; then grep '^FAIL' "$T/log"; fail "a check of the examples failed"; fi
grep -A 1 '^optim  *my_muon  *Muon' "$T/log" | grep -q '(family: matrix; state slots per tensor: 2)' \
  || { cat "$T/log"; fail "nnlab list does not show my_muon as a matrix rule"; }

# my_muon against the bundled muon on the guide's experiment
A="$P/runs/moons_my_muon" B="$P/runs/moons_muon"
for r in "$A" "$B"; do
  grep -q '"status": "ok"' "$r/summary.json" || fail "$r did not finish"
done
grep -q 'plugin = "my_muon"' "$A/config.cfg" && grep -q 'plugin = "muon"' "$B/config.cfg" || fail "run configs"
# the values of a little-endian float64 .npy (format 1.0), one a line
npy() {
  [ "$(od -A n -t u1 -j 6 -N 1 "$1" | tr -d ' ')" = 1 ] || fail "$1: not a version 1 .npy"
  local h; h=$(od -A n -t u2 -j 8 -N 2 --endian=little "$1" | tr -d ' ')
  od -A n -v -t f8 -j $((10 + h)) "$1" | tr -s ' ' '\n' | grep .
}
worst=0 where=none nw=0
for w in "$A"/weights/*.npy; do
  f=$(basename "$w")
  [ -f "$B/weights/$f" ] || fail "bundled muon run has no weights/$f"
  line=$(paste <(npy "$w") <(npy "$B/weights/$f") | awk '
    NF != 2 { bad = 1 }
    { d = $1 - $2; d = d < 0 ? -d : d; s = $1 < 0 ? -$1 : $1; t = $2 < 0 ? -$2 : $2
      s = s > t ? s : t; s = s > 1e-12 ? s : 1e-12
      if (d / s >= m) { m = d / s; at = NR - 1 } }
    END { if (bad || NR == 0) print "bad"; else printf "%.3e %d %d\n", m, at, NR }')
  [ "$line" != bad ] || fail "weights/$f: the two runs have different sizes"
  set -- $line
  nw=$((nw + $3))
  if awk -v a="$1" -v b="$worst" 'BEGIN { exit !(a >= b) }'; then worst=$1; where="$f[$2]"; fi
done
[ "$nw" -gt 0 ] || fail "no weights compared"
awk -v a="$worst" 'BEGIN { exit !(a <= 1e-9) }' \
  || fail "my_muon and the bundled muon differ: largest relative difference $worst at $where (limit 1e-9)"
loss=$(paste -d, <(cut -d, -f1,3,4 "$A/metrics.csv") <(cut -d, -f1,3,4 "$B/metrics.csv") | awk -F, '
  NR > 1 { if ($1 != $4 || $3 != $6) { print "bad"; exit }
           d = $2 - $5; d = d < 0 ? -d : d; r = d / ($5 < 0 ? -$5 : $5); if (r >= m) { m = r; at = $1 } }
  END { printf "%.3e at epoch %d, %d rows\n", m, at, NR - 1 }')
case "$loss" in bad*) fail "metrics.csv of the two runs differ in epochs or accuracy";; esac
awk -v a="${loss%% *}" 'BEGIN { exit !(a <= 1e-9) }' || fail "losses differ: largest relative difference $loss"
echo "  my_muon vs bundled muon: $nw weights, largest relative difference $worst at $where; loss $loss; accuracies equal"
grep 'accuracy\|^nnlab check:' "$T/log" | sed 's/^/  /'
echo ok
