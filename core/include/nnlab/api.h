/* nnlab/api.h: NN_API marks a function of libnnlab's public API. The library
 * is built with hidden visibility, so only functions declared with NN_API in
 * the installed headers are exported (tests/cli/exports.sh checks this). */
#ifndef NNLAB_API_H
#define NNLAB_API_H

#if defined(__GNUC__)
#define NN_API __attribute__((visibility("default")))
#else
#define NN_API
#endif

#endif
