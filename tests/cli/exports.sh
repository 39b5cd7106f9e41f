#!/usr/bin/env bash
# libnnlab.so exports exactly its documented API: the functions defined in
# its dynamic symbol table (nm -D --defined-only) are the functions declared
# with NN_API in the installed headers core/include/nnlab/*.h, no more, no
# fewer, and every function those headers declare carries NN_API; each
# missing, extra or unmarked symbol is named. The library does not link
# zlib (readelf -d: no libz in NEEDED).
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
LIB="$NN_BUILD_DIR/libnnlab.so"
HDRS="$NN_SOURCE_DIR/core/include/nnlab"
[ -f "$LIB" ] || fail "no $LIB"
command -v nm > /dev/null && command -v readelf > /dev/null || { echo "nm or readelf missing: skipped"; exit 77; }

# Declared: "HEADER NAME MARKED" for each function declared in a header
# (MARKED 1 when the declaration carries NN_API), found once comments,
# preprocessor lines, the C++ guards, brace blocks (struct and enum bodies),
# typedefs and static functions are set aside; a declaration may span lines.
for h in "$HDRS"/*.h; do
  perl -0777 -ne '
    s{/\*.*?\*/}{ }gs; s{//[^\n]*}{}g;
    s{^\s*#\s*ifdef\s+__cplusplus\b.*?^\s*#\s*endif}{}gms;
    s{^\s*#(?:\\.|[^\\\n])*}{}gms;
    s{(\{(?:[^{}]++|(?1))*\})}{ }gs;
    for (split /;/) {
      next if /\btypedef\b/ || /\bstatic\b/ || !/\b([A-Za-z_]\w*)\s*\(/;
      print "$1 ", (/\bNN_API\b/ ? 1 : 0), "\n";
    }' "$h" | sed "s|^|$(basename "$h") |"
done | sort -k2 > "$T/decls"
awk '$3 == 1 {print $2}' "$T/decls" | sort -u > "$T/declared"

# Exported: defined dynamic symbols; T/W/i are functions. Anything else
# (data) other than the linker's own boundary symbols is also an export.
nm -D --defined-only "$LIB" > "$T/nm" || fail "nm -D $LIB failed"
awk '$2 ~ /^[TWi]$/ {sub(/@.*/, "", $3); print $3}' "$T/nm" | sort -u > "$T/exported"
awk '$2 !~ /^[TWi]$/ && $3 !~ /^(__bss_start|_edata|_end|_init|_fini)$/ {print $3 " (" $2 ")"}' "$T/nm" \
  > "$T/exported_data"

# The parse and nm must each have found the API at all, or the comparison
# below would pass on two empty lists.
grep -qx nn_err_set "$T/declared" || fail "no NN_API declaration of nn_err_set found in $HDRS (parser broken?)"
grep -qx nn_err_set "$T/exported" || fail "nn_err_set is not exported by $LIB"

bad=0
while read -r where name; do
  echo "unmarked: $name (declared in nnlab/$where without NN_API, so not exported)"; bad=1
done < <(awk '$3 == 0 {print $1, $2}' "$T/decls")
while read -r name; do
  where=$(awk -v n="$name" '$2 == n {print $1; exit}' "$T/decls")
  echo "missing: $name (declared NN_API in nnlab/$where, not exported by libnnlab.so)"; bad=1
done < <(comm -23 "$T/declared" "$T/exported")
while read -r name; do
  echo "extra: $name (exported by libnnlab.so, not declared with NN_API in nnlab/*.h)"; bad=1
done < <(comm -13 "$T/declared" "$T/exported")
while read -r line; do
  echo "extra: $line (exported data object)"; bad=1
done < "$T/exported_data"
[ $bad = 0 ] || fail "libnnlab.so exports differ from the NN_API declarations in nnlab/*.h"

readelf -d "$LIB" > "$T/dyn" || fail "readelf -d $LIB failed"
grep -q NEEDED "$T/dyn" || fail "readelf -d shows no NEEDED entries (parse broken?)"
if grep NEEDED "$T/dyn" | grep -q 'libz\.so'; then
  grep NEEDED "$T/dyn"; fail "libnnlab.so links zlib"
fi

echo "  $(wc -l < "$T/exported") functions exported, equal to the NN_API declarations in $(ls "$HDRS"/*.h | wc -l) headers"
echo "  NEEDED: $(grep NEEDED "$T/dyn" | sed 's/.*\[\(.*\)\]/\1/' | tr '\n' ' ')"
echo ok
