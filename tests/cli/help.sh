#!/usr/bin/env bash
# --help and -h on every command of `nnlab help` print that command's usage
# on stdout and exit 0, wherever they stand among its arguments, without
# doing the command's work; `nnlab help CMD` prints the same; --version
# prints the project's version (CMakeLists.txt) and exits 0.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T"
"$NN_CMD" help > cmds || fail "nnlab help"
cmds=$(sed -n 's/^  \([a-z]*\)  .*/\1/p' cmds)
[ "$(echo "$cmds" | wc -w)" -ge 9 ] || { cat cmds; fail "fewer than 9 commands listed"; }
for c in $cmds; do
  for h in --help -h; do
    "$NN_CMD" "$c" "$h" > out 2> err; rc=$?
    [ $rc = 0 ] || fail "nnlab $c $h: exit $rc"
    head -1 out | grep -q "^usage: nnlab $c" || { cat out; fail "nnlab $c $h: no usage line"; }
    [ -s err ] && { cat err; fail "nnlab $c $h wrote to stderr"; }
  done
  "$NN_CMD" help "$c" > out2 || fail "nnlab help $c"
  cmp -s out out2 || fail "nnlab help $c differs from nnlab $c --help"
done
# after other arguments too, and nothing is done
"$NN_CMD" run "$NN_SOURCE_DIR/experiments/init_he.cfg" -o r --help > out || fail "run FILE --help"
[ -e r ] && fail "run --help made a run folder"
"$NN_CMD" new optim x --help > out || fail "new --help"
[ -e x.c ] && fail "new --help wrote a file"
version=$(sed -n 's/^project(nnlab VERSION \([0-9.]*\).*/\1/p' "$NN_SOURCE_DIR/CMakeLists.txt")
"$NN_CMD" --version > out || fail "--version exit status"
head -1 out | grep -qx "nnlab $version" || { cat out; fail "--version: expected 'nnlab $version'"; }
grep -q "plugin ABI" out || fail "--version: no plugin ABI"
"$NN_CMD" run > /dev/null 2>&1; [ $? = 2 ] || fail "run without FILE: not exit 2"
echo "help.sh: $(echo $cmds | wc -w) commands, --help and -h exit 0"
