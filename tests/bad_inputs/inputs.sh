# inputs.sh: sourced by run.sh; writes the catalogue's inputs into the
# current folder: good base experiments and data files of every format
# (npy, csv, IDX, CIFAR binary), small enough that a row runs in well under
# a second, and helpers that make the bad variants. Binary files are made
# with printf and head, so no Python is needed.

# bytes N C: N copies of the byte with octal code C
bytes() { head -c "$1" /dev/zero | tr '\0' "\\$2"; }
# be32 N: N as 4 big-endian bytes
be32() { printf "\\$(printf %03o $(($1 >> 24 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 & 255)))"; }
# le16 N: N as 2 little-endian bytes
le16() { printf "\\$(printf %03o $(($1 & 255)))\\$(printf %03o $(($1 >> 8 & 255)))"; }

# npy FILE DESCR SHAPE [FORTRAN]: a version-1 .npy header, then stdin as data
npy() {
  local h="{'descr': '$2', 'fortran_order': ${4:-False}, 'shape': $3, }"
  local n=$((${#h} + 1)) pad
  pad=$(((64 - (10 + n) % 64) % 64))
  { printf '\223NUMPY\001\000'; le16 $((n + pad)); printf '%s%*s\n' "$h" $pad ''; cat; } > "$1"
}
# f8 V...: little-endian doubles (the bit patterns of small integers and of
# nan and inf, written out: no tool needed)
f8() {
  local v
  for v in "$@"; do
    case $v in
      0) printf '\0\0\0\0\0\0\0\0' ;;
      1) printf '\0\0\0\0\0\0\360\77' ;;
      2) printf '\0\0\0\0\0\0\0\100' ;;
      3) printf '\0\0\0\0\0\0\10\100' ;;
      2.5) printf '\0\0\0\0\0\0\4\100' ;;
      -1) printf '\0\0\0\0\0\0\360\277' ;;
      nan) printf '\0\0\0\0\0\0\370\177' ;;
      inf) printf '\0\0\0\0\0\0\360\177' ;;
      *) echo "f8: no pattern for $v" >&2; return 1 ;;
    esac
  done
}

# idx_images FILE COUNT [ROWS COLS [MAGIC]] and idx_labels FILE COUNT [MAGIC]:
# IDX files as Fashion-MNIST's (uncompressed); pixels a pattern that differs
# from image to image, labels 0..9 in turn. cifar_batch FILE RECORDS [LABEL]:
# CIFAR-10 records of a label byte (0..9 in turn, or LABEL) and 3072 pixels.
# One awk process writes each file.
idx_images() {
  LC_ALL=C awk -v n="$2" -v r="${3:-28}" -v c="${4:-28}" -v magic="${5:-2051}" '
    function be32(v) { printf "%c%c%c%c", int(v / 16777216) % 256, int(v / 65536) % 256, int(v / 256) % 256, v % 256 }
    BEGIN { be32(magic); be32(n); be32(r); be32(c)
            for (i = 0; i < n; i++) for (p = 0; p < r * c; p++) printf "%c", (i * 7 + p * (i % 5 + 1)) % 256 }' > "$1"
}
idx_labels() {
  LC_ALL=C awk -v n="$2" -v magic="${3:-2049}" '
    function be32(v) { printf "%c%c%c%c", int(v / 16777216) % 256, int(v / 65536) % 256, int(v / 256) % 256, v % 256 }
    BEGIN { be32(magic); be32(n); for (i = 0; i < n; i++) printf "%c", i % 10 }' > "$1"
}
cifar_batch() {
  LC_ALL=C awk -v n="$2" -v label="${3:--1}" '
    BEGIN { for (i = 0; i < n; i++) { printf "%c", label < 0 ? i % 10 : label
              for (p = 0; p < 3072; p++) printf "%c", (i * 13 + p * (i % 3 + 1)) % 256 } }' > "$1"
}

make_inputs() {
  cat > base.cfg <<'CFG'
name = "b";
seed = 1;
data  = { plugin = "planar"; shape = "moons"; n_train = 40; n_val = 10; n_test = 10; };
model = { hidden = [4]; activation = "relu"; output = "sigmoid"; };
init  = { plugin = "he"; seed = 3; };
optim = { plugin = "sgd"; lr = 0.1; };
reg   = ( );
train = { epochs = 3; batch_size = 0; log_every = 1; };
output = { plots = false; };
CFG
  # the base without one section: base-SECTION.cfg (to append a bad one)
  local s
  for s in name seed data model init optim reg train output; do
    grep -v "^$s " base.cfg > "base-$s.cfg"
  done
  # npy: 4 examples of 2 features, labels 0 1 0 1
  f8 1 2 3 1 2 0 1 3 | npy X.npy '<f8' '(4, 2)'
  f8 0 1 0 1 | npy y.npy '<f8' '(4,)'
  printf '1,2,0\n3,1,1\n2,0,0\n1,3,1\n' > good.csv
  # Fashion-MNIST's four IDX files, 20 training and 10 test images
  mkdir -p fashion
  idx_images fashion/train-images-idx3-ubyte 20
  idx_labels fashion/train-labels-idx1-ubyte 20
  idx_images fashion/t10k-images-idx3-ubyte 10
  idx_labels fashion/t10k-labels-idx1-ubyte 10
  # CIFAR-10 binary: 4 records per training batch, 6 test records
  mkdir -p cifar
  for b in 1 2 3 4 5; do cifar_batch cifar/data_batch_$b.bin 4; done
  cifar_batch cifar/test_batch.bin 6
  printf '%s\n' airplane automobile bird cat deer dog frog horse ship truck > cifar/batches.meta.txt
}
