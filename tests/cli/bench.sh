#!/usr/bin/env bash
# nnlab bench's figures (not its speed: no time is compared with a bound):
# --json is one line with the documented keys; the model's products, each
# timed alone, are listed in nn_model_products' order with their shapes (a
# 20-64-5 net at batch 100: 5 products; the full-batch 2-10-5-1 net: 8,
# through the small-layer kernels where the build has them), every rate a
# positive number, and their flops add up to the step's; the table names
# them too.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$NN_CMD" bench --layers 20,64,5 --examples 2000 --batch 100 --epochs 2 --peak-size 64 --repeats 1 \
  --json > "$T/b.json" || fail "bench --json: exit $?"
[ "$(wc -l < "$T/b.json")" = 1 ] || fail "--json is not one line: $(cat "$T/b.json")"
for k in examples_per_second gflops gemm_peak_gflops fraction_of_peak model_gemm_gflops \
         fraction_of_model_gemm precision peak_rss_kib products; do
  grep -q "\"$k\": " "$T/b.json" || fail "no key $k: $(cat "$T/b.json")"
done
# the products: name m n k gflops, one per line
prods() { grep -o '{"product": "[^"]*", "m": [0-9]*, "n": [0-9]*, "k": [0-9]*, "gflops": [^}]*}' "$1" |
          sed 's/{"product": "\([^"]*\)", "m": \([0-9]*\), "n": \([0-9]*\), "k": \([0-9]*\), "gflops": \([^}]*\)}/\1|\2|\3|\4|\5/'; }
prods "$T/b.json" > "$T/p"
want="W1 forward|64|100|20
W2 forward|5|100|64
W2 weight gradient|5|64|100
W2 input gradient|64|100|5
W1 weight gradient|64|20|100"
[ "$(cut -d'|' -f1-4 "$T/p")" = "$want" ] || fail "products: $(cat "$T/p")"
awk -F'|' '!($5 > 0) { bad = 1 } END { exit bad }' "$T/p" || fail "a product's rate is not positive: $(cat "$T/p")"
# their flops are the step's: flop_per_example x batch
fpe=$(sed -n 's/.*"flop_per_example": \([0-9.e+]*\).*/\1/p' "$T/b.json")
awk -F'|' -v fpe="$fpe" '{ f += 2 * $2 * $3 * $4 } END { exit !(f == fpe * 100) }' "$T/p" ||
  fail "the products' flops are not the step's ($fpe per example)"
# the tiny net, full batch: 8 products
"$NN_CMD" bench --layers 2,10,5,1 --examples 300 --batch 0 --epochs 50 --optim sgd --peak-size 0 \
  --repeats 1 --json > "$T/t.json" || fail "tiny bench: exit $?"
prods "$T/t.json" > "$T/tp"
[ "$(wc -l < "$T/tp")" = 8 ] || fail "tiny net products: $(cat "$T/tp")"
grep -q '^W3 forward|1|300|5|' "$T/tp" || fail "tiny net output product: $(cat "$T/tp")"
# the table
"$NN_CMD" bench --layers 20,64,5 --examples 2000 --batch 100 --epochs 2 --peak-size 0 --repeats 1 \
  > "$T/table" || fail "bench table: exit $?"
grep -q "model's GEMMs" "$T/table" && grep -Eq '^ +W2 input gradient +64 x +100 x +5 ' "$T/table" ||
  fail "table: $(cat "$T/table")"
echo "bench: ok ($(tr '\n' ' ' < "$T/p"))"
