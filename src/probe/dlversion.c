/* PLACEHOLDER: replaced by this file's owner. */
#include "probe/dlversion.h"
#include "util/error.h"
int el__dl_version(el__probe_ctx *ctx, const char *path, el__dl_query query, char *out, size_t outsize) { return el__error(EL_ENOTFOUND, "PLACEHOLDER"); }
