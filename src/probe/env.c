#include "probe/probe.h"
#include "util/error.h"

/*
 * The variables every run is pinned to until profiles take this over. Only
 * these names and values ever reach a lock: nothing is read from the host
 * environment, because locks get committed and environments hold secrets.
 */
static const struct {
	const char *name;
	const char *value;
} builtin_pins[] = {
	/* Python's str/bytes hash randomization changes set and dict order:
	 * docs.python.org/3/using/cmdline.html#envvar-PYTHONHASHSEED */
	{ "PYTHONHASHSEED", "0" },
	/* Thread counts change the order of floating-point reductions:
	 * OpenMP spec "OMP_NUM_THREADS"; Intel oneMKL developer guide
	 * "Obtaining Numerically Reproducible Results"; OpenBLAS README. */
	{ "OMP_NUM_THREADS", "1" },
	{ "MKL_NUM_THREADS", "1" },
	{ "OPENBLAS_NUM_THREADS", "1" },
	/* cuBLAS picks reduction splits by workspace size; a fixed config makes
	 * results reproducible: CUDA Toolkit docs, cuBLAS "Results
	 * reproducibility"; PyTorch "Reproducibility" notes. */
	{ "CUBLAS_WORKSPACE_CONFIG", ":4096:8" },
	/* Time zone and locale change formatted output and collation. */
	{ "TZ", "UTC" },
	{ "LC_ALL", "C.UTF-8" },
};

int el__probe_env(el__probe_ctx *ctx, json_t **section)
{
	json_t *env = json_object();

	if (!env)
		return el__error_oom();
	for (size_t i = 0; i < sizeof(builtin_pins) / sizeof(builtin_pins[0]); i++)
		if (json_object_set_new(env, builtin_pins[i].name, json_string(builtin_pins[i].value))) {
			json_decref(env);
			return el__error_oom();
		}
	*section = env;
	return EL_OK;
}
