#include "probe/probe.h"
#include "envlock/profile.h"
#include "util/error.h"

/*
 * The env section: the profile's pins (setenv), and only those. Nothing is
 * read from the host environment, because locks get committed and
 * environments hold secrets. The pins themselves, each with the
 * documentation it comes from, are in profiles/default and its siblings.
 */
int el__probe_env(el__probe_ctx *ctx, json_t **section)
{
	json_t *env = json_object();

	if (!env)
		return el__error_oom();
	for (size_t i = 0; ctx->profile && i < ctx->profile->pin_count; i++)
		if (json_object_set_new(env, ctx->profile->pins[i].name, json_string(ctx->profile->pins[i].value))) {
			json_decref(env);
			return el__error_oom();
		}
	*section = env;
	return EL_OK;
}
