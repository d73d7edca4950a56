/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "probe/probe.h"
#include "envlock/profile.h"
#include "util/error.h"

/*
 * The env section: the thread pins (the count the threads probe chose),
 * then the profile's pins (setenv), which win over them; and only those.
 * Nothing is read from the host environment, because locks get committed
 * and environments hold secrets. The pins themselves, each with the
 * documentation it comes from, are in profiles/default and its siblings.
 */
static int set(json_t *env, const char *name, const char *value)
{
	return json_object_set_new(env, name, json_string(value)) ? el__error_oom() : EL_OK;
}

int el__probe_env(el__probe_ctx *ctx, json_t **section)
{
	const el_profile *profile = ctx->profile;
	json_t *env = json_object();
	char count[16];
	int ret = env ? EL_OK : el__error_oom();

	snprintf(count, sizeof(count), "%u", ctx->threads);
	for (size_t i = 0; ctx->threads && i < el_thread_var_count && ret == EL_OK; i++)
		if (!profile || el_profile_threads_pin(profile, el_thread_vars[i].name))
			ret = set(env, el_thread_vars[i].name, count);
	for (size_t i = 0; profile && i < profile->pin_count && ret == EL_OK; i++)
		ret = set(env, profile->pins[i].name, profile->pins[i].value);
	if (ret != EL_OK) {
		json_decref(env);
		return ret;
	}
	*section = env;
	return EL_OK;
}
