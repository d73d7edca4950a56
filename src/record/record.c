/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run record format.
 *
 * A record is an in-toto Statement v1 (https://in-toto.io/Statement/v1)
 * with an SLSA Provenance v1 predicate (https://slsa.dev/provenance/v1):
 * the run is the "build", its --output files are what it produced. Every
 * member below is written, in this shape, and reading refuses anything
 * else; "(optional)" members are left out rather than written empty.
 *
 *   _type                        "https://in-toto.io/Statement/v1"
 *   subject[]                    the outputs that existed after the run, in
 *                                --output order: {name: the path as given,
 *                                digest: {sha256}}; when none did (or none
 *                                was asked for), two stand-ins, since a
 *                                Statement needs a subject:
 *       {name: "envlock:lock", digest: {sha256: the lock's fingerprint
 *       without "sha256:"}}, when the run had a lock
 *       {name: "envlock:argv", digest: {sha256: of the argv words, each
 *       followed by one NUL byte}}, always
 *   predicateType                "https://slsa.dev/provenance/v1"
 *   predicate.buildDefinition
 *     buildType                  "urn:envlock:exec:v1" (the project has no web
 *                                domain to name its build type with)
 *     externalParameters         what the user chose:
 *       argv[]                   the command
 *       workdir                  absolute host path of the working directory
 *       lock (optional)          {path: as given, digest: {sha256: the lock's
 *                                fingerprint without "sha256:"}}; absent with
 *                                --no-lock
 *       env{}                    pinned variables, name -> value
 *       seed (optional)          the --seed value
 *       python (optional)        the --python the drift check compared
 *       onDrift                  "refuse", "warn" or "ignore"
 *       mounts[]                 {kind: "bind"|"ro-bind"|"tmpfs", source (not
 *                                for a tmpfs), dest}, in command-line order
 *       outputs[]                every --output path as given, in order
 *       trace (optional)         true: exec --trace
 *       launcher (optional)      where a launcher placed the run, name -> value:
 *                                under srun, the rank, node and devices srun
 *                                set (SLURM_PROCID, SLURM_LOCALID,
 *                                SLURMD_NODENAME, CUDA_VISIBLE_DEVICES...)
 *     internalParameters         what envlock chose:
 *       profile                  the profile's name
 *       sandbox (optional)       the sandbox settings, an object passed through
 *       envlockVersion           the version that ran
 *     resolvedDependencies[]     in this order:
 *       the lock, when there is one: {name: its path, digest: {sha256}}, the
 *       same as externalParameters.lock
 *       the code, in a git checkout: {name: "code", digest: {gitCommit},
 *       annotations: {dirty: true|false} (left out when unknown)}
 *       each data entry of the lock: {name: its path, digest: {sha256}}
 *       each shared object the run loaded (observed by envlock's LD_AUDIT
 *       library; exec --no-observe leaves them out), sorted by path:
 *       {name: its absolute host path, links resolved, digest: {sha256},
 *       annotations: {observed: true}}; the annotation is what tells them
 *       from data entries, which come before them. With exec --trace, every
 *       file the run opened or executed is one of them, and each symbolic
 *       link met on the way to one is there too, in the same order by
 *       name: {name: the link's absolute host path, digest: {sha256: of
 *       the link's text}, annotations: {observed: true, linkTarget: the
 *       text}}
 *   predicate.runDetails
 *     builder                    {id: "urn:envlock:exec", version: {envlock:
 *                                the version, again}}
 *     metadata                   {invocationId: 32 random lowercase hex digits,
 *                                startedOn, finishedOn: RFC 3339 UTC with
 *                                nanoseconds, "2024-05-06T07:08:09.123456789Z"}
 *     byproducts[]               in this order, each {name, digest: {sha256},
 *                                mediaType: "application/json", annotations}
 *                                where the digest is that of the annotations
 *                                serialized with keys sorted and no
 *                                whitespace (reals to 15 significant digits):
 *       {name: "drift", annotations: {findings: [...]}}, when a drift check
 *       was made: the findings as check --format json gives them, each with
 *       at least path and severity ("refuse", "warn" or "ignore")
 *       {name: "run", annotations: {
 *         exitStatus: as envlock exec exited (0..255),
 *         missingOutputs: the outputs that did not exist after the run,
 *         rusage: {userSeconds, systemSeconds: CPU time of the run's
 *                  processes (RUSAGE_CHILDREN), maxRssKiB: their largest
 *                  resident set}}}
 *
 * The two specs leave annotations to the producer: "dirty", "observed", "findings",
 * "exitStatus", "missingOutputs" and "rusage" are envlock's names. A missing
 * output is not a subject (a subject needs a digest) but it stays in
 * externalParameters.outputs and in missingOutputs, so that a replay knows
 * it was asked for. The externalParameters are complete: with the lock they
 * name, they are what a replay needs.
 *
 * Every descriptor is a valid in-toto ResourceDescriptor (it has a digest).
 * The stand-in subjects cannot be taken for outputs: they appear only when
 * every output is in missingOutputs, which is how the reader tells the two
 * kinds of subject list apart, so an output that happens to be named
 * "envlock:argv" is still an output. The reader checks both stand-ins'
 * digests against the argv and the lock it reads, and each byproduct's
 * digest against its annotations (rebuilt from what was read, so that 12
 * and 12.0 seconds agree). Records written before these rules still read:
 * an empty subject where the stand-ins would be, and byproducts with
 * neither digest nor mediaType.
 */
#include "record/record_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/verdict_internal.h"
#include "sandbox/plan.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/text.h"

el_record *el_record_new(void)
{
	el_record *record = calloc(1, sizeof(*record));

	if (record) {
		record->git_dirty = -1;
		record->on_drift = EL_SEVERITY_REFUSE;
	}
	return record;
}

el_record_drift *el__record_drift_wrap(json_t *findings)
{
	el_record_drift *drift = findings ? malloc(sizeof(*drift)) : NULL;

	if (!drift) {
		json_decref(findings);
		return NULL;
	}
	drift->findings = findings;
	return drift;
}

el_record_sandbox *el__record_sandbox_wrap(json_t *settings)
{
	el_record_sandbox *sandbox = settings ? malloc(sizeof(*sandbox)) : NULL;

	if (!sandbox) {
		json_decref(settings);
		return NULL;
	}
	sandbox->settings = settings;
	return sandbox;
}

static void drift_free(el_record_drift *drift)
{
	if (drift)
		json_decref(drift->findings);
	free(drift);
}

static void sandbox_free(el_record_sandbox *sandbox)
{
	if (sandbox)
		json_decref(sandbox->settings);
	free(sandbox);
}

int el_record_set_drift(el_record *record, const el_verdict *verdict)
{
	el_record_drift *drift = el__record_drift_wrap(el__verdict_findings_json(verdict, false));

	if (!drift)
		return el__error_oom();
	drift_free(record->drift);
	record->drift = drift;
	return EL_OK;
}

int el_record_set_sandbox(el_record *record, const el_sandbox_plan *plan)
{
	el_record_sandbox *sandbox;
	json_t *settings;
	int ret = el__sandbox_plan_summary(&settings, plan);

	if (ret != EL_OK)
		return ret;
	if (!(sandbox = el__record_sandbox_wrap(settings)))
		return el__error_oom();
	sandbox_free(record->sandbox);
	record->sandbox = sandbox;
	return EL_OK;
}

long el_record_drift_count(const el_record *record, el_severity severity)
{
	const char *name = el_severity_name(severity);
	size_t i;
	const json_t *f;
	long n = 0;

	if (!record->drift)
		return -1;
	json_array_foreach(record->drift->findings, i, f) {
		const char *s = json_string_value(json_object_get(f, "severity"));

		if (name && s && strcmp(s, name) == 0)
			n++;
	}
	return n;
}

int el_record_sandbox_cwd(const char **cwd, const el_record *record)
{
	const json_t *v = record->sandbox ? json_object_get(record->sandbox->settings, "cwd") : NULL;

	*cwd = json_string_value(v);
	if (!v)
		return el__error(EL_ENOTFOUND, "run record: sandbox.cwd: not recorded");
	return *cwd ? EL_OK : el__error(EL_EINVAL, "run record: sandbox.cwd: not a string");
}

bool el_record_output_path_valid(const char *path)
{
	return el__path_stays_below(path);
}

static void free_pairs(el_record_pair *pairs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(pairs[i].name);
		free(pairs[i].value);
	}
	free(pairs);
}

void el_record_free(el_record *record)
{
	if (!record)
		return;
	for (size_t i = 0; i < record->argc; i++)
		free(record->argv[i]);
	free(record->argv);
	free(record->workdir);
	free(record->lock_path);
	free(record->lock_fingerprint);
	free(record->profile);
	free(record->seed);
	free(record->python);
	free_pairs(record->env, record->env_count);
	free_pairs(record->launcher, record->launcher_count);
	for (size_t i = 0; i < record->mount_count; i++) {
		free(record->mounts[i].source);
		free(record->mounts[i].dest);
	}
	free(record->mounts);
	free_pairs(record->data, record->data_count);
	free_pairs(record->observed, record->observed_count);
	free_pairs(record->links, record->link_count);
	free(record->git_commit);
	drift_free(record->drift);
	free(record->envlock_version);
	sandbox_free(record->sandbox);
	for (size_t i = 0; i < record->output_count; i++)
		free(record->outputs[i].path);
	free(record->outputs);
	free(record);
}

int el__record_time_format(char out[EL__RECORD_TIME_SIZE], const struct timespec *ts)
{
	char text[80]; /* room for any int the fields could hold: the compiler cannot see their ranges */
	struct tm tm;

	if (ts->tv_nsec < 0 || ts->tv_nsec > 999999999 || !gmtime_r(&ts->tv_sec, &tm) ||
	    tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return el__error(EL_EINVAL, "not a time between the years 0 and 9999");
	snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)ts->tv_nsec);
	memcpy(out, text, EL__RECORD_TIME_SIZE - 1);
	out[EL__RECORD_TIME_SIZE - 1] = '\0';
	return EL_OK;
}

/* The n decimal digits at s, or -1 when they are not all digits. */
static long digits(const char *s, int n)
{
	long v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool el__record_time_parse(struct timespec *ts, const char *text)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";
	struct tm tm = { 0 }, back;
	time_t t;

	if (strlen(text) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] != 'd' && text[i] != shape[i])
			return false;
	tm.tm_year = (int)digits(text, 4) - 1900;
	tm.tm_mon = (int)digits(text + 5, 2) - 1;
	tm.tm_mday = (int)digits(text + 8, 2);
	tm.tm_hour = (int)digits(text + 11, 2);
	tm.tm_min = (int)digits(text + 14, 2);
	tm.tm_sec = (int)digits(text + 17, 2);
	ts->tv_nsec = digits(text + 20, 9);
	if (tm.tm_year < -1900 || tm.tm_mon < 0 || tm.tm_mday < 0 || tm.tm_hour < 0 || tm.tm_min < 0 ||
	    tm.tm_sec < 0 || ts->tv_nsec < 0)
		return false;
	/*
	 * timegm() normalizes 2024-02-30 into March, in its argument too: only
	 * a date that survives the round trip unchanged is real.
	 */
	back = tm;
	t = timegm(&back);
	if (!gmtime_r(&t, &back) || back.tm_year != tm.tm_year || back.tm_mon != tm.tm_mon ||
	    back.tm_mday != tm.tm_mday || back.tm_hour != tm.tm_hour || back.tm_min != tm.tm_min ||
	    back.tm_sec != tm.tm_sec)
		return false;
	ts->tv_sec = t;
	return true;
}

int el__record_argv_digest(char hex[EL_SHA256_HEX], char *const *argv, size_t argc)
{
	el__buf words;
	int ret;

	el__buf_init(&words);
	for (size_t i = 0; i < argc; i++) {
		if (!argv[i]) {
			el__buf_free(&words);
			return el__error(EL_EINVAL, "argv[%zu]: NULL", i);
		}
		/* The word and its NUL, so that ["a b"] and ["a", "b"] differ. */
		el__buf_add(&words, argv[i], strlen(argv[i]) + 1);
	}
	ret = el__buf_failed(&words) ? el__error_oom() : el__sha256_hex(hex, words.data, words.len);
	el__buf_free(&words);
	return ret;
}

int el__record_annotations_digest(char hex[EL_SHA256_HEX], const json_t *annotations)
{
	char *text = json_dumps(annotations, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	int ret;

	if (!text)
		return el__error_oom();
	ret = el__sha256_hex(hex, text, strlen(text));
	free(text);
	return ret;
}

int el__record_refuse(const char *display, const char *member, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return el__error(EL_EINVAL, "%s: %s%s%s", display, member, *member ? ": " : "", what);
}

const char *el__record_shown(char out[48], const char *s)
{
	el__printable_copy(out, 44, s, strlen(s));
	return out;
}
