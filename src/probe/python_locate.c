/* PLACEHOLDER: replaced by this file's owner. */
#include "probe/python_locate.h"
#include "util/error.h"
void el__python_free(el__python *p) { (void)p; }
int el__probe_python_locate(el__probe_ctx *ctx, const el__python **out) { return EL_PROBE_ABSENT; }
