# deps.cmake: what the imfeat library links besides libnnlab (read by the
# plugin section of the top CMakeLists.txt): worker threads for extraction
# (imextract.c). Every plugin that links imfeat gets them; no other does.
list(APPEND NN_DEPS Threads::Threads)
