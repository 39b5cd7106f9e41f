#!/usr/bin/env bash
# nnlab new KIND NAME: for every kind the generated file builds as a plugin
# and passes nnlab check as generated; a flat folder of them is listed with
# the right kinds; refusals (existing file, bad name, bad kind) exit 2.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T"
mkdir flat
for kind in init optim reg data; do
  "$NN_CMD" new $kind my_$kind > out || fail "new $kind"
  grep -q "wrote my_$kind.c: a $kind plugin named 'my_$kind'" out || fail "new $kind message"
  cc -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -shared -fPIC -I"$NN_SOURCE_DIR/core/include" \
     my_$kind.c -o flat/my_$kind.so -L"$NN_BUILD_DIR" -lnnlab -lm || fail "build $kind"
  "$NN_CMD" check ./flat/my_$kind.so > check.out; rc=$?
  [ $rc = 0 ] || { cat check.out; fail "check $kind: exit $rc"; }
  tail -1 check.out | sed "s/^/  $kind: /"
done
# a flat folder of plugins of every kind: listed under their kinds, found by name
"$NN_CMD" list --plugin-path "$T/flat" > list.out || fail "list"
for kind in init optim reg data; do
  grep -q "^$kind  *my_$kind " list.out || { cat list.out; fail "list: my_$kind not under $kind"; }
done
"$NN_CMD" check --plugin-path "$T/flat" my_reg > /dev/null || fail "check by name in a flat folder"
"$NN_CMD" list --plugin-path "$T/flat" optim | grep -q '^optim  *my_optim' || fail "list optim"
"$NN_CMD" list --plugin-path "$T/flat" optim | grep -q '^init ' && fail "list optim shows an init plugin"
# refusals
"$NN_CMD" new optim my_optim 2> err; [ $? = 2 ] || fail "overwrite not refused"
grep -q "exists (use --force" err || fail "overwrite message"
"$NN_CMD" new optim my_optim --force > /dev/null || fail "--force"
"$NN_CMD" new optim My-Opt 2> err; [ $? = 2 ] || fail "bad name"
"$NN_CMD" new optimizer x 2> err; [ $? = 2 ] || fail "bad kind"
grep -q "unknown kind 'optimizer'" err || fail "bad kind message"
echo ok
