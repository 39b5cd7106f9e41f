#!/usr/bin/env bash
# --help and -h on every command that `nnlab --help` lists print that
# command's usage on stdout and exit 0, wherever they stand among its
# arguments (also after an unknown option), without doing the command's
# work; `nnlab help CMD` prints the same; the listing holds every row of the
# command table (core/cmd/main.c), so a new command without a usage fails
# here; --version and -V print the project's version (CMakeLists.txt) and
# exit 0; no arguments, an unknown command or `help NOSUCH` exit 2.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T"
"$NN_CMD" --help > cmds 2> err || fail "nnlab --help: exit status"
[ -s err ] && fail "nnlab --help wrote to stderr"
"$NN_CMD" -h | cmp -s - cmds || fail "nnlab -h differs from nnlab --help"
"$NN_CMD" help | cmp -s - cmds || fail "nnlab help differs from nnlab --help"
cmds=$(sed -n 's/^  \([a-z]*\)  .*/\1/p' cmds)
[ "$(echo "$cmds" | wc -w)" -ge 10 ] || { cat cmds; fail "fewer than 10 commands listed"; }
# every row of the command table is listed (a row is {"name", "help", ...)
table=$(sed -n 's/^ *{"\([a-z]*\)", ".*/\1/p' "$NN_SOURCE_DIR/core/cmd/main.c" | sort)
[ -n "$table" ] || fail "no command rows found in core/cmd/main.c"
[ "$table" = "$(echo "$cmds" | tr ' ' '\n' | sort)" ] ||
  fail "the listing ($(echo $cmds)) is not the command table ($(echo $table))"
for c in $cmds; do
  for h in --help -h "--no-such-option --help" "x -h"; do
    "$NN_CMD" "$c" $h > out 2> err; rc=$?
    [ $rc = 0 ] || fail "nnlab $c $h: exit $rc"
    head -1 out | grep -q "^usage: nnlab $c" || { cat out; fail "nnlab $c $h: no usage line"; }
    [ -s err ] && { cat err; fail "nnlab $c $h wrote to stderr"; }
    [ "$(wc -l < out)" -ge 2 ] || { cat out; fail "nnlab $c $h: no option lines"; }
  done
  "$NN_CMD" "$c" --help > out
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
"$NN_CMD" -V | cmp -s - out || fail "-V differs from --version"
"$NN_CMD" run > /dev/null 2>&1; [ $? = 2 ] || fail "run without FILE: not exit 2"
"$NN_CMD" > /dev/null 2>&1; [ $? = 2 ] || fail "no command: not exit 2"
"$NN_CMD" nosuch --help > /dev/null 2> err; [ $? = 2 ] || fail "unknown command --help: not exit 2"
grep -q "unknown command 'nosuch'" err || fail "unknown command message: $(cat err)"
"$NN_CMD" help nosuch > /dev/null 2>&1; [ $? = 2 ] || fail "help NOSUCH: not exit 2"
echo "help.sh: $(echo $cmds | wc -w) commands, --help and -h exit 0"
