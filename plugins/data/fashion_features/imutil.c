/* imutil.c: fashion_features shares cifar_features' image feature code. CMake
 * compiles the helper folder of a plugin into that plugin only, hence the
 * include. */
#include "../cifar_features/imutil.c"
