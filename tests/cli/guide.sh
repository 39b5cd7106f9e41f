#!/usr/bin/env bash
# Follows docs/writing-an-optimizer.md end to end on a fresh install of this
# build into a temporary prefix: every ```sh block runs, in order, in one
# shell (set -e: any failing command fails the test); a block preceded by
# <!-- guide.sh: file NAME --> is written to NAME; <!-- guide.sh: skip -->
# skips the next block. Then checks what the guide promises.
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
[ "$(grep -c '^nnlab check: [0-9]* passed, 0 failed' "$T/log")" -ge 3 ] || { cat "$T/log"; fail "checks did not all pass"; }
grep -q '^PASS optim/my_opt  converges on a convex quadratic' "$T/log" || fail "no convergence line"
grep -q '^PASS .*moons.cfg  gradient check of the whole network' "$T/log" || fail "no experiment gradient check"
grep -q '"status": "ok"' "$P/runs/moons_my_opt/summary.json" || fail "run did not finish"
grep -q 'plugin = "my_opt"' "$P/runs/moons_my_opt/config.cfg" || fail "resolved config"
grep -q '^test accuracy: ' "$T/log" || fail "no test accuracy"
# the installed nnlab is the one used, and it finds the installed plugins
grep -q "$T/prefix/bin/nnlab\|+ nnlab" "$T/log" || true
PATH="$T/prefix/bin:$PATH" NNLAB_PLUGIN_PATH= nnlab list optim | grep -q '^optim  *adam' || fail "installed nnlab lists no bundled optimizers"
grep 'accuracy\|^nnlab check:' "$T/log" | sed 's/^/  /'
echo ok
