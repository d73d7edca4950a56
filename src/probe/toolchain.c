#include "probe/probe.h"
int el__probe_toolchain(el__probe_ctx *ctx, json_t **section) { return EL_PROBE_ABSENT; } /* PLACEHOLDER */
