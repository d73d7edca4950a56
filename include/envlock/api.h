/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENVLOCK_API_H
#define ENVLOCK_API_H

/*
 * EL_API marks what libenvlock exports. The library is compiled with
 * hidden visibility, so that its internals (el__*) are no part of the
 * shared library's ABI and cannot be interposed: only the declarations
 * marked here are.
 */
#if defined(__GNUC__) || defined(__clang__)
#define EL_API __attribute__((visibility("default")))
#else
#define EL_API
#endif

#endif
