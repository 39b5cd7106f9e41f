# deps.cmake: what the fashion_features plugin links besides libnnlab and the
# plugin libraries it includes (read by the plugin section of the top
# CMakeLists.txt): zlib, for the gzip-compressed IDX files (idx_read.c).
list(APPEND NN_DEPS ZLIB::ZLIB)
