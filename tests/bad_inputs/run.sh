#!/usr/bin/env bash
# run.sh [CATALOGUE]: the catalogue of bad inputs (catalogue.tsv). Each row
# is one bad input and what nnlab must do with it:
#
#   STATUS <tab> WORDS <tab> SETUP <tab> COMMAND
#
# SETUP (shell, "-" for none) makes the bad input in a fresh copy of the
# inputs of inputs.sh; COMMAND runs nnlab on it. A row passes when
#   - the exit status is STATUS (and no signal ended the process, and no
#     sanitizer report was printed);
#   - one line of stderr holds every word of WORDS (separated by " | "), and
#     that line says where: FILE:LINE:, a file, a key (section.key: or
#     key[i]:) or the command-line option;
#   - for STATUS 2, nothing at all was written or changed by COMMAND (every
#     file and folder of the row is as SETUP left it), and for any status no
#     temporary file (*.tmp.*) is left behind.
# STATUS 0 rows are inputs that are repaired with a warning (a corrupt
# feature cache): the words are the warning's.
#
# Before the catalogue, three rows that must fail (a wrong status, a missing
# word, a command that writes a file) are run through the same checks, so a
# check that cannot fail is noticed. Every failure is printed with its row
# and the whole stderr; the exit status is 1 when any row failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
catalogue=${1:-$here/catalogue.tsv}
: "${NN_CMD:?NN_CMD: the nnlab command}"
NN=$NN_CMD
FIX=${NN_FIXTURE_DIR:-}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export XDG_CACHE_HOME=$T/xdg-cache HOME=$T/home NNLAB_PLUGIN_PATH=
. "$here/inputs.sh"

mkdir -p "$T/inputs/base" && (cd "$T/inputs/base" && make_inputs && mv fashion cifar ..) ||
  { echo "FAIL: making the inputs"; exit 1; }

# ---- helpers for SETUP and COMMAND ------------------------------------------------
run() { local f=$1; shift; "$NN" run "$f" -o out -q "$@"; }
# with SECTION TEXT: b.cfg = base.cfg with SECTION replaced by TEXT, on line 9
with() { cat "base-$1.cfg" > b.cfg && printf '%s\n' "$2" >> b.cfg; }
# add TEXT: b.cfg = base.cfg and TEXT on line 10
add() { cat base.cfg > b.cfg && printf '%s\n' "$1" >> b.cfg; }
data() { with data "data = { $1 };"; }
# image experiments on the small Fashion-MNIST and CIFAR-10 copies
images() {
  printf 'name = "i";\ndata = { plugin = "%s"; path = "%s"; cache = false; %s };\n%s\n' "$1" "$2" "$3" \
    'model = { hidden = [4]; output = "softmax"; }; train = { epochs = 2; }; output = { plots = false; };' > b.cfg
}
fmnist() { images fashion_features fashion "num_training = 16; num_validation = 4; num_test = 10; ${1:-}"; }
cifar10() { images cifar_features cifar "num_training = 16; num_validation = 4; num_test = 6; ${1:-}"; }
# poke FILE OFFSET OCTAL: one byte of FILE changed
poke() { printf "\\$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# goodrun DIR: a complete run of base.cfg in DIR
goodrun() { "$NN" run base.cfg -o "$1" -q > /dev/null; }
# interrupted DIR: a long run of base.cfg in DIR stopped by SIGTERM once it
# trains, which leaves DIR/checkpoint/state.bin ($LONG: its overrides). (Not
# SIGINT: a background job of a script ignores it, and nnlab keeps that.)
LONG="-s train.epochs=100000000 -s train.log_every=100000"
interrupted() {
  "$NN" run base.cfg -o "$1" -q $LONG > /dev/null 2>&1 &
  local p=$! i
  for ((i = 0; i < 200; i++)); do [ -f "$1/initial_weights/W1.npy" ] && break; sleep 0.05; done
  sleep 0.3
  kill -TERM $p
  for ((i = 0; i < 100; i++)); do kill -0 $p 2> /dev/null || break; sleep 0.05; done
  kill -KILL $p 2> /dev/null && { echo "interrupted: SIGTERM did not stop the run"; return 1; }
  wait $p
  [ -f "$1/checkpoint/state.bin" ]
}
# sweep_of TEXT: b.cfg = base.cfg and a sweep section on line 10
sweep_of() { add "sweep = { $1 };"; }

# ---- one row ------------------------------------------------------------------------
# The checks use few processes (the suite runs on busy machines): files are
# read with read, patterns matched by bash itself.
slurp() { local -n _v=$1; _v=""; IFS= read -r -d '' _v < "$2" || true; }
snapshot() { (cd "$1" && find . -printf '%p %s %T@ %y\n') > "$2"; }
sanitizer_re='AddressSanitizer|LeakSanitizer|runtime error:|Segmentation fault|core dumped'
where_re='[A-Za-z0-9_./-]+:[0-9]+: |/[^ ]+: |(command|kind|plugin|name) '\''|[A-Za-z0-9_-]+\.[a-z0-9]+(/[a-z_.]+)?: |[a-z_]+(\.[a-z_0-9]+|\[[0-9]+\])+: |-idx[13]-ubyte|(^| )-[a-z]( |:)|--[a-z-]+|argument '\'''

# the first line of text holding every word of words (" | " between), or ""
line_with_words() {
  local text=$1 words=$2 line w ok
  while IFS= read -r line; do
    ok=1
    while IFS= read -r w; do
      [[ $line == *"$w"* ]] || { ok=0; break; }
    done <<< "${words// | /$'\n'}"
    [ $ok = 1 ] && { printf '%s' "$line"; return; }
  done <<< "$text"
}

# check_row ID STATUS WORDS SETUP COMMAND: 0 when the row behaves as listed;
# otherwise prints why and returns 1.
check_row() {
  local id=$1 want=$2 words=$3 setup=$4 cmd=$5 d="$T/row.$1" dir
  cp -r "$T/inputs/base" "$d"
  for dir in fashion cifar; do # the image data only for the rows that use them
    case "$setup $cmd" in *"$dir"* | *fmnist* | *cifar10*) cp -r "$T/inputs/$dir" "$d/" ;; esac
  done
  if [ "$setup" != "-" ]; then
    (cd "$d" && eval "$setup") > "$d.setup" 2>&1 || { echo "FAIL [$id] setup failed: $setup"; cat "$d.setup"; return 1; }
  fi
  [ "$want" = 2 ] && snapshot "$d" "$d.before"
  (cd "$d" && eval "$cmd") > "$d.stdout" 2> "$d.stderr"
  local rc=$? why="" err line before after
  slurp err "$d.stderr"
  if [ $rc -ge 128 ]; then
    why="killed by signal $((rc - 128))"
  elif [[ $err =~ $sanitizer_re ]]; then
    why="a sanitizer or crash report"
  elif [ "$rc" != "$want" ]; then
    why="exit status $rc, expected $want"
  else
    line=$(line_with_words "$err" "$words")
    if [ -z "$line" ]; then
      why="no stderr line holds all of: $words"
    elif [ "$want" != 0 ] && ! [[ $line =~ $where_re ]]; then
      why="the message does not say where (file:line, file, key or option): $line"
    fi
  fi
  snapshot "$d" "$d.after"
  slurp after "$d.after"
  if [ -z "$why" ] && [ "$want" = 2 ]; then
    slurp before "$d.before"
    [ "$before" = "$after" ] || why="files written or changed: $(diff "$d.before" "$d.after" | sed -n 's/^> \([^ ]*\) .*/\1/p' | tr '\n' ' ')"
  fi
  if [ -z "$why" ] && [[ $after == *.tmp.* ]]; then
    why="temporary files left: $(grep -F .tmp. "$d.after" | head -3 | tr '\n' ' ')"
  fi
  if [ -n "$why" ]; then
    echo "FAIL [$id] $why"
    echo "  setup:   $setup"
    echo "  command: $cmd"
    printf '%s' "$err" | head -20 | sed 's/^/  stderr: /'
    return 1
  fi
  return 0
}

# ---- the checks can fail ----------------------------------------------------------------
self=0
check_row self-status 0 'cannot open' - 'run nosuch.cfg' > /dev/null && self=1
check_row self-words 2 'cannot open | no such words' - 'run nosuch.cfg' > /dev/null && self=1
check_row self-writes 2 'cannot open' - 'echo x > written; run nosuch.cfg' > /dev/null && self=1
check_row self-where 2 'nnlab' - 'echo "nnlab: something is wrong" >&2; exit 2' > /dev/null && self=1
[ $self = 0 ] || { echo "FAIL: a row that must fail passed the checks"; exit 1; }

# ---- the catalogue --------------------------------------------------------------------------
n=0 bad=0 lineno=0
while IFS= read -r row || [ -n "$row" ]; do
  lineno=$((lineno + 1))
  case $row in '' | '#'*) continue ;; esac
  IFS=$'\t' read -r status words setup cmd extra <<< "$row"
  if [ -z "${cmd:-}" ] || [ -n "${extra:-}" ]; then
    echo "FAIL [line $lineno] not STATUS<tab>WORDS<tab>SETUP<tab>COMMAND: $row"
    bad=$((bad + 1))
    continue
  fi
  n=$((n + 1))
  check_row "line $lineno" "$status" "$words" "$setup" "$cmd" || bad=$((bad + 1))
done < "$catalogue"
echo "bad_inputs: $n rows, $bad failed ($(basename "$catalogue"))"
[ $n -ge 60 ] || { echo "FAIL: fewer than 60 rows"; exit 1; }
[ $bad = 0 ]
