# embed.cmake: turns one template of `nnlab new` into a C header holding its
# bytes as a NUL-terminated char array, at build time:
#   cmake -DIN=templates/init.c -DOUT=template_init.h -DVAR=nn_template_init -P embed.cmake
# The header goes to the build tree; the template file is the only copy.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REPEAT "0x[0-9a-f][0-9a-f]," 16 line) # CMake regexes have no {16}
string(REGEX REPLACE "(${line})" "\\1\n" bytes "${bytes}")
get_filename_component(name "${IN}" NAME)
file(WRITE "${OUT}.tmp"
  "/* Generated at build time from core/cmd/templates/${name} by embed.cmake: do not edit. */\n"
  "static const char ${VAR}[] = {\n${bytes}0x00};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
