#!/usr/bin/env bash
# The npy and csv data plugins from the command line: the same data through
# planar and npy (from nnlab export) train to identical numbers; CSV with
# class names runs; bad files stop with exit status 2 and one message naming
# the file, and no run folder. (tests/test_data_files.c checks the values.)
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

common='model = { hidden = [6]; }; optim = { plugin = "sgd"; lr = 0.5; };
train = { epochs = 200; log_every = 50; }; output = { plots = false; };'
printf 'name = "p"; seed = 2;\ndata = { plugin = "planar"; shape = "moons"; n_train = 60; n_val = 20; n_test = 30; noise = 0.2; seed = 4; };\n%s\n' "$common" > planar.cfg
"$NN_CMD" export planar.cfg -o ex > /dev/null || fail "export failed"
for f in X_train X_val X_test y_train y_val y_test; do [ -s "ex/$f.npy" ] || fail "export: no $f.npy"; done

printf 'name = "n"; seed = 2;\ndata = { plugin = "npy"; x_train = "ex/X_train.npy"; y_train = "ex/y_train.npy";
  x_val = "ex/X_val.npy"; y_val = "ex/y_val.npy"; x_test = "ex/X_test.npy"; y_test = "ex/y_test.npy"; };\n%s\n' "$common" > npy.cfg
"$NN_CMD" run planar.cfg -o rp -q > /dev/null || fail "planar run failed"
"$NN_CMD" run npy.cfg -o rn -q > /dev/null || fail "npy run failed"
cmp -s <(cut -d, -f1-5 rp/metrics.csv) <(cut -d, -f1-5 rn/metrics.csv) || fail "npy run differs from planar"
cmp -s rp/weights/W1.npy rn/weights/W1.npy || fail "npy weights differ"

# bad files: exit 2, one message naming the file, no run folder
expect_bad() { # cfg-data-section expected-substring
  printf 'name = "b";\ndata = { %s };\n%s\n' "$1" "$common" > bad.cfg
  "$NN_CMD" run bad.cfg -o rb -q > out 2> err; rc=$?
  [ $rc = 2 ] || fail "[$1] exit $rc, expected 2: $(cat err)"
  grep -q -- "$2" err || fail "[$1] message '$(cat err)' lacks '$2'"
  [ "$(wc -l < err)" = 1 ] || fail "[$1] more than one line: $(cat err)"
  [ -e rb ] && fail "[$1] run folder written"
  echo "ok: $(cat err)"
}
printf 'not an npy file' > junk.npy
expect_bad 'plugin = "npy"; x_train = "missing.npy"; y_train = "ex/y_train.npy";' "missing.npy: cannot open"
expect_bad 'plugin = "npy"; x_train = "junk.npy"; y_train = "ex/y_train.npy";' "junk.npy: not a .npy file"
expect_bad 'plugin = "npy"; x_train = "ex/X_train.npy"; y_train = "ex/y_test.npy";' "y_test.npy: 30 labels but"
expect_bad 'plugin = "npy"; x_train = "ex/y_train.npy"; y_train = "ex/y_train.npy";' "X must be 2-D"
expect_bad 'plugin = "npy"; x_train = "ex/X_train.npy"; y_train = "ex/X_train.npy";' "y must have shape"
expect_bad 'plugin = "npy"; x_train = "ex/X_train.npy";' "y_train: no label file"
expect_bad 'plugin = "npy"; x_train = "ex/X_train.npy"; y_train = "ex/y_train.npy"; classes = 1;' "classes = 1: give 0"
expect_bad 'plugin = "npy"; x_train = "ex/X_train.npy"; y_train = "ex/y_train.npy"; x_val = "ex/X_val.npy"; y_val = "ex/y_val.npy"; classes = 3; x_test = "ex/X_test.npy"; y_test = "ex/X_test.npy";' "X_test.npy: y must have shape"
expect_bad 'plugin = "npy"; x_train = "ex/X_train.npy"; y_train = "ex/y_train.npy"; x_test = "ex/X_train.npy";' "y_test: no label file"

printf '1,2,0\n3,4,1\n5,6\n' > short.csv
printf '1,2,0\n3,x,1\n' > word.csv
printf '1,2,0\n3,4,2.5\n' > frac.csv
printf '1,2,cat\n3,4,dog\n' > names.csv
printf '5,6,cow\n' > cow.csv
expect_bad 'plugin = "csv"; x_train = "none.csv";' "none.csv: cannot open"
expect_bad 'plugin = "csv"; x_train = "short.csv";' "short.csv:3: 2 columns, the first data row has 3"
expect_bad 'plugin = "csv"; x_train = "word.csv";' "word.csv:2: column 1: 'x' is not a number"
expect_bad 'plugin = "csv"; x_train = "frac.csv";' "frac.csv:2: label '2.5' is not a class number"
expect_bad 'plugin = "csv"; x_train = "names.csv"; x_test = "cow.csv";' "cow.csv:1: label 'cow' does not occur"
expect_bad 'plugin = "csv"; x_train = "names.csv"; label_column = 3;' "label_column 3 does not exist"

# CSV with class names and a separate label file
printf 'a b\n1 2\n3 4\n2 2\n4 1\n' > x.txt
printf 'label\nred\nblue\nred\nblue\n' > y.txt
printf 'name = "c";\ndata = { plugin = "csv"; header = true; x_train = "x.txt"; y_train = "y.txt"; };\n%s\n' "$common" > c.cfg
"$NN_CMD" run c.cfg -o rc -q > /dev/null || fail "csv with names failed"
grep -q '"status": "ok"' rc/summary.json || fail "csv run status"
echo PASS
