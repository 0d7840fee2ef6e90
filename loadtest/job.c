/*
 * `loadtest render-job`: the scenario as a Kubernetes indexed Job; see
 * job.h for what is rendered and why.
 *
 * Objects are built as jansson values with keys in a fixed insertion order
 * and written with yaml_emit(), as provisioner/render-k8s.c does, so the
 * same options always give the same bytes. The Job is sized from the
 * scenario's typed plan (how long it runs, how many threads it uses), as
 * plan_load() read it; the scenario's text goes into the ConfigMap as it is.
 */
#include "job.h"
#include "hash.h"
#include "naming.h"
#include "scenario.h"
#include "strbuf.h"
#include "units.h"
#include "xalloc.h"
#include "yamlemit.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_MAX 63
#define SUBDOMAIN_MAX 253
#define KEY_HASH_LEN 8
#define SCENARIO_DIR "/etc/loadtest"
#define RESULTS_DIR "/results"
#define CONTAINER "loadtest"
/* distroless's "nonroot"; the image must not need to be root, and fsGroup lets it write the claim */
#define RUN_AS_ID 65532
/* scheduling, image pulls, volume attach and writing the result, after the run itself */
#define DEADLINE_SLACK_S 600
#define DEADLINE_DEFAULT_S 3600
#define TTL_S 86400
#define MEMORY_DEFAULT (512ull << 20)
#define THREADS_MAX 64

/* One entry of the ConfigMap: a file as mounted, and the key holding it. */
struct entry {
	const char *path;   /* under SCENARIO_DIR */
	char *key;
	const char *data;
	size_t len;
};

struct job {
	const struct job_opts *o;
	char *name;
	struct entry *entries;   /* the scenario, then the files sorted by path */
	size_t nr;
	uint64_t run_ms;         /* longest scenario; 0: unknown */
	unsigned threads;        /* event-loop threads of all scenarios together */
};

/* --- names ------------------------------------------------------------------ */

static int is_label(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (!len || len > max || s[0] == '-' || s[len - 1] == '-')
		return 0;
	for (const char *p = s; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
			return 0;
	return 1;
}

/* A DNS-1123 subdomain: dot-separated labels, 253 characters in all. */
static int is_subdomain(const char *s)
{
	char *copy;
	int ok = strlen(s) <= SUBDOMAIN_MAX && *s && s[strlen(s) - 1] != '.';

	copy = xstrdup(s);
	for (char *save = NULL, *l = strtok_r(copy, ".", &save); ok && l; l = strtok_r(NULL, ".", &save))
		ok = is_label(l, LABEL_MAX);
	free(copy);
	return ok && !strstr(s, "..") && s[0] != '.';
}

/*
 * The Job controller names each pod's host NAME-INDEX, and a host name is
 * a DNS label: the longest index must still fit in 63 characters.
 */
static size_t name_max(unsigned parallel)
{
	size_t digits = 1;

	for (unsigned i = parallel - 1; i >= 10; i /= 10)
		digits++;
	return LABEL_MAX - 1 - digits;
}

/* "loadtest-" and the file name's stem, with a hash when that loses anything. */
static char *default_name(const char *file, size_t max)
{
	size_t len = strlen(file), stem = len;
	char *raw, *name;

	if (len > 5 && !strcmp(file + len - 5, ".yaml"))
		stem -= 5;
	else if (len > 4 && !strcmp(file + len - 4, ".yml"))
		stem -= 4;
	raw = xasprintf("loadtest-%.*s", (int)stem, file);
	name = dns_label(raw, max);
	free(raw);
	return name;
}

static int job_name(struct job *j, struct strbuf *err)
{
	const struct job_opts *o = j->o;
	size_t max = name_max(o->parallel);

	if (!o->name) {
		j->name = default_name(o->scenario_name, max);
		return 0;
	}
	if (!is_label(o->name, LABEL_MAX)) {
		strbuf_addf(err, "job name '%s' is not a DNS-1123 label (lower-case letters, digits "
			    "and '-', at most 63 characters)", o->name);
		return -1;
	}
	if (strlen(o->name) > max) {
		strbuf_addf(err, "job name '%s' is too long for %u copies: at most %zu characters, "
			    "as each pod's host name is NAME-INDEX", o->name, o->parallel, max);
		return -1;
	}
	j->name = xstrdup(o->name);
	return 0;
}

/* --- options ---------------------------------------------------------------- */

static int has_space_or_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 1;
	return 0;
}

static int check_names(const struct job_opts *o, struct strbuf *err)
{
	if (o->namespace_ && !is_label(o->namespace_, LABEL_MAX))
		strbuf_addf(err, "namespace '%s' is not a DNS-1123 label", o->namespace_);
	else if (o->results_claim && !is_subdomain(o->results_claim))
		strbuf_addf(err, "claim name '%s' is not a DNS-1123 subdomain", o->results_claim);
	else if (o->secret && !is_subdomain(o->secret))
		strbuf_addf(err, "secret name '%s' is not a DNS-1123 subdomain", o->secret);
	else if (o->storage_class && !is_subdomain(o->storage_class))
		strbuf_addf(err, "storage class '%s' is not a DNS-1123 subdomain", o->storage_class);
	else
		return 0;
	return -1;
}

static int check_opts(const struct job_opts *o, struct strbuf *err)
{
	if (o->parallel < 1 || o->parallel > JOB_PARALLEL_MAX)
		strbuf_addf(err, "parallel %u is out of range: 1 to %d copies", o->parallel,
			    JOB_PARALLEL_MAX);
	else if (!o->scenario_name || !*o->scenario_name || strchr(o->scenario_name, '/'))
		strbuf_addf(err, "scenario name '%s' must be a file name without a directory",
			    o->scenario_name ? o->scenario_name : "");
	else if (!o->image || !*o->image || has_space_or_control(o->image))
		strbuf_addf(err, "image '%s' is not an image reference", o->image ? o->image : "");
	else if (o->target && ((strncmp(o->target, "http://", 7) && strncmp(o->target, "https://", 8)) ||
			       has_space_or_control(o->target)))
		strbuf_addf(err, "target '%s' is not an http:// or https:// URL", o->target);
	else
		return check_names(o, err);
	return -1;
}

/* --- the scenario ----------------------------------------------------------- */

/* Nothing but blank lines and comments: a file with nothing to run in it. */
static int is_blank(const char *text)
{
	for (const char *p = text; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n')) {
		const char *q = p + strspn(p, " \t\r");

		if (*q && *q != '\n' && *q != '#')
			return 0;
	}
	return 1;
}

/* How long the longest scenario runs (0 if one does not say) and their threads together. */
static void measure(struct job *j, const struct plan *p)
{
	int known = 1;

	for (size_t i = 0; i < p->nr; i++) {
		uint64_t ms = p->v[i].model.duration_ns / 1000000;

		known &= ms != 0;
		if (ms > j->run_ms)
			j->run_ms = ms;
		j->threads += p->v[i].model.threads ? p->v[i].model.threads : 1;
	}
	if (!known)
		j->run_ms = 0;
	if (j->threads > THREADS_MAX)
		j->threads = THREADS_MAX;
}

static int read_scenario(struct job *j, struct strbuf *err)
{
	const struct job_opts *o = j->o;

	if (!o->scenario_text || is_blank(o->scenario_text)) {
		strbuf_addf(err, "scenario '%s' is empty", o->scenario_name);
		return -1;
	}
	if (!o->plan || !o->plan->nr) {
		strbuf_addf(err, "scenario '%s' has no scenarios to run", o->scenario_name);
		return -1;
	}
	measure(j, o->plan);
	return 0;
}

/* --- the ConfigMap's entries ------------------------------------------------- */

/* A file stays under the scenario's directory: relative, no "." or "..". */
static int check_path(const char *path, struct strbuf *err)
{
	const char *p = path;

	if (!*path || *path == '/') {
		strbuf_addf(err, "file '%s' must be a path relative to the scenario", path);
		return -1;
	}
	for (size_t n; *p; p += n + (p[n] == '/')) {
		n = strcspn(p, "/");
		if (!n || (n == 1 && p[0] == '.') || (n == 2 && !strncmp(p, "..", 2))) {
			strbuf_addf(err, "file '%s' must stay in the scenario's directory "
				    "(no '.', '..' or empty parts)", path);
			return -1;
		}
	}
	if (p[-1] == '/') {
		strbuf_addf(err, "file '%s' names a directory", path);
		return -1;
	}
	return 0;
}

static int key_char(unsigned char c)
{
	return c < 0x80 && (isalnum(c) || c == '-' || c == '_' || c == '.');
}

/*
 * A ConfigMap key is [-._a-zA-Z0-9]+: a path that is not one, such as
 * "bodies/a.json", gets "bodies-a.json-<hash of the path>", so two paths
 * never share a key; the volume's items put it back at its path.
 */
static char *key_for(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char hex[SHA256_HEX_LEN + 1];
	int same = 1;

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		same &= key_char(*p);
		strbuf_addch(&sb, key_char(*p) ? *p : '-');
	}
	if (same && sb.len <= SUBDOMAIN_MAX && strcmp(path, ".") && strcmp(path, ".."))
		return strbuf_detach(&sb, NULL);
	if (sb.len > SUBDOMAIN_MAX - KEY_HASH_LEN - 1)
		strbuf_setlen(&sb, SUBDOMAIN_MAX - KEY_HASH_LEN - 1);
	sha256_hex(hex, path, strlen(path));
	strbuf_addf(&sb, "-%.*s", KEY_HASH_LEN, hex);
	return strbuf_detach(&sb, NULL);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

static int check_entries(const struct job *j, struct strbuf *err)
{
	size_t total = 0;

	for (size_t i = 0; i < j->nr; i++) {
		for (size_t k = 0; k < i; k++)
			if (!strcmp(j->entries[i].key, j->entries[k].key)) {
				strbuf_addf(err, "file '%s' is given twice", j->entries[i].path);
				return -1;
			}
		total += strlen(j->entries[i].key) + j->entries[i].len;
	}
	if (total > JOB_CONFIGMAP_MAX) {
		strbuf_addf(err, "scenario '%s' and its files take %zu bytes, more than the %u "
			    "one ConfigMap holds", j->o->scenario_name, total, JOB_CONFIGMAP_MAX);
		return -1;
	}
	return 0;
}

static int collect_entries(struct job *j, struct strbuf *err)
{
	const struct job_opts *o = j->o;

	j->entries = xcalloc(o->nr_files + 1, sizeof(*j->entries));
	j->entries[0] = (struct entry){ o->scenario_name, key_for(o->scenario_name),
					o->scenario_text, strlen(o->scenario_text) };
	j->nr = 1;
	for (size_t i = 0; i < o->nr_files; i++) {
		const struct job_file *f = &o->files[i];

		if (!f->name || check_path(f->name, err) < 0)
			return -1;
		j->entries[j->nr++] = (struct entry){ f->name, key_for(f->name),
						      f->data ? f->data : "", f->data ? f->len : 0 };
	}
	qsort(j->entries + 1, j->nr - 1, sizeof(*j->entries), cmp_entry);
	return check_entries(j, err);
}

/* --- JSON helpers ------------------------------------------------------------ */

static json_t *str_take(char *s)
{
	json_t *v = json_string(s);

	free(s);
	return v;
}

static json_t *unit_str(uint64_t v, void (*format)(struct strbuf *, uint64_t))
{
	struct strbuf sb = STRBUF_INIT;

	format(&sb, v);
	return str_take(strbuf_detach(&sb, NULL));
}

/*
 * Text a YAML reader gives back byte for byte: UTF-8 without NUL, C1
 * controls, U+2028/U+2029 (line breaks to YAML 1.1, folded to spaces in a
 * quoted scalar), a byte order mark or a non-character. Anything else goes
 * to binaryData.
 */
static int yaml_text(const char *data, size_t len)
{
	static const char *const bad[] = {
		"\xe2\x80\xa8", "\xe2\x80\xa9", "\xef\xbb\xbf", "\xef\xbf\xbe", "\xef\xbf\xbf",
	};
	json_t *probe;

	if (memchr(data, '\0', len) || !(probe = json_stringn(data, len)))
		return 0;
	json_decref(probe);
	for (size_t i = 0; i + 1 < len; i++) {
		if ((unsigned char)data[i] == 0xc2 && (unsigned char)data[i + 1] < 0xa0)
			return 0;
		for (size_t k = 0; k < ARRAY_SIZE(bad); k++)
			if (i + 3 <= len && !memcmp(data + i, bad[k], 3))
				return 0;
	}
	return 1;
}

static json_t *base64(const char *data, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)data;
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < len; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16;

		v |= i + 1 < len ? (unsigned long)p[i + 1] << 8 : 0;
		v |= i + 2 < len ? p[i + 2] : 0;
		strbuf_addch(&sb, tab[v >> 18 & 63]);
		strbuf_addch(&sb, tab[v >> 12 & 63]);
		strbuf_addch(&sb, i + 1 < len ? tab[v >> 6 & 63] : '=');
		strbuf_addch(&sb, i + 2 < len ? tab[v & 63] : '=');
	}
	return str_take(strbuf_detach(&sb, NULL));
}

/* --- the objects -------------------------------------------------------------- */

static json_t *labels(const struct job *j)
{
	return json_pack("{s:s, s:s, s:s}", "app.kubernetes.io/name", "loadtest",
			 "app.kubernetes.io/instance", j->name,
			 "app.kubernetes.io/managed-by", "loadtest");
}

static json_t *object(const struct job *j, const char *api, const char *kind, json_t *name)
{
	json_t *meta = json_pack("{s:o}", "name", name);

	if (j->o->namespace_)
		json_object_set_new(meta, "namespace", json_string(j->o->namespace_));
	json_object_set_new(meta, "labels", labels(j));
	return json_pack("{s:s, s:s, s:o}", "apiVersion", api, "kind", kind, "metadata", meta);
}

static void emit(struct strbuf *out, json_t *obj)
{
	if (out->len)
		strbuf_addstr(out, "---\n");
	yaml_emit(out, obj);
	json_decref(obj);
}

static void render_configmap(struct strbuf *out, const struct job *j)
{
	json_t *obj = object(j, "v1", "ConfigMap", str_take(xasprintf("%s-scenario", j->name)));
	json_t *data = json_object(), *bin = json_object();

	for (size_t i = 0; i < j->nr; i++) {
		const struct entry *e = &j->entries[i];

		if (yaml_text(e->data, e->len))
			json_object_set_new(data, e->key, json_stringn(e->data, e->len));
		else
			json_object_set_new(bin, e->key, base64(e->data, e->len));
	}
	/* the kubelets of a thousand copies need not watch it for changes */
	json_object_set_new(obj, "immutable", json_true());
	json_object_set_new(obj, "data", data);
	if (json_object_size(bin))
		json_object_set(obj, "binaryData", bin);
	json_decref(bin);
	emit(out, obj);
}

static void render_claim(struct strbuf *out, const struct job *j)
{
	json_t *obj = object(j, "v1", "PersistentVolumeClaim", str_take(xasprintf("%s-results", j->name)));
	json_t *spec = json_pack("{s:[s], s:{s:{s:s}}}", "accessModes", "ReadWriteMany",
				 "resources", "requests", "storage", "1Gi");

	if (j->o->storage_class)
		json_object_set_new(spec, "storageClassName", json_string(j->o->storage_class));
	json_object_set_new(obj, "spec", spec);
	emit(out, obj);
}

/* A literal argument: Kubernetes expands $(VAR) in args, and "$$" is a '$'. */
static void add_literal(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '$')
			strbuf_addch(sb, '$');
		strbuf_addch(sb, *s);
	}
}

static json_t *literal_arg(const char *prefix, const char *s, const char *suffix)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, prefix);
	add_literal(&sb, s);
	strbuf_addstr(&sb, suffix);
	return str_take(strbuf_detach(&sb, NULL));
}

/* JOB_COMPLETION_INDEX is set in every pod of an indexed Job by the Job controller. */
static json_t *container_args(const struct job *j)
{
	json_t *args = json_pack("[s, o]", "run", literal_arg(SCENARIO_DIR "/", j->o->scenario_name, ""));

	if (j->o->target) {
		json_array_append_new(args, json_string("--target"));
		json_array_append_new(args, literal_arg("", j->o->target, ""));
	}
	json_array_append_new(args, json_string("--shard"));
	json_array_append_new(args, str_take(xasprintf("$(JOB_COMPLETION_INDEX)/%u", j->o->parallel)));
	json_array_append_new(args, json_string("--json"));
	json_array_append_new(args, literal_arg(RESULTS_DIR "/", j->name, "-$(JOB_COMPLETION_INDEX).json"));
	json_array_append_new(args, json_string("--no-progress"));
	return args;
}

/*
 * Requests equal to limits (the Guaranteed class): a load generator that
 * is throttled or evicted mid-run reports its own stalls as the target's
 * latency.
 */
static json_t *resources(const struct job *j)
{
	uint64_t cpu = j->o->cpu_m ? j->o->cpu_m : 1000ull * j->threads;
	uint64_t mem = j->o->memory ? j->o->memory : MEMORY_DEFAULT;

	return json_pack("{s:{s:o, s:o}, s:{s:o, s:o}}",
			 "requests", "cpu", unit_str(cpu, format_millicpu),
			 "memory", unit_str(mem, format_bytes),
			 "limits", "cpu", unit_str(cpu, format_millicpu),
			 "memory", unit_str(mem, format_bytes));
}

/*
 * The engine sends LOADTEST_AUTH_HEADER as an Authorization header, and
 * writes LOADTEST_RUN_ID into its result as the run's id: the Job's uid,
 * which the Job controller puts on every pod it makes, so that `merge`
 * refuses a result a pod of an earlier run of the Job left on the claim.
 */
static json_t *container_env(const struct job *j)
{
	json_t *env = json_array();

	if (j->o->secret)
		json_array_append_new(env, json_pack("{s:s, s:{s:{s:s, s:s, s:b}}}",
			"name", "LOADTEST_AUTH_HEADER", "valueFrom", "secretKeyRef", "name", j->o->secret,
			"key", "authorization", "optional", 0));
	json_array_append_new(env, json_pack("{s:s, s:{s:{s:s}}}", "name", "LOADTEST_RUN_ID",
		"valueFrom", "fieldRef", "fieldPath",
		"metadata.labels['batch.kubernetes.io/controller-uid']"));
	return env;
}

static json_t *container(const struct job *j)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:[s], s:o}", "name", CONTAINER,
			      "image", j->o->image, "imagePullPolicy", "IfNotPresent",
			      "command", "/usr/bin/loadtest", "args", container_args(j));

	json_object_set_new(c, "env", container_env(j));
	json_object_set_new(c, "resources", resources(j));
	json_object_set_new(c, "securityContext",
			    json_pack("{s:b, s:b, s:{s:[s]}}", "allowPrivilegeEscalation", 0,
				      "readOnlyRootFilesystem", 1, "capabilities", "drop", "ALL"));
	/* /tmp: the root file system is read-only */
	json_object_set_new(c, "volumeMounts", json_pack(
		"[{s:s, s:s, s:b}, {s:s, s:s}, {s:s, s:s}]",
		"name", "scenario", "mountPath", SCENARIO_DIR, "readOnly", 1,
		"name", "results", "mountPath", RESULTS_DIR,
		"name", "tmp", "mountPath", "/tmp"));
	return c;
}

static json_t *volumes(const struct job *j)
{
	json_t *items = json_array();
	const char *claim = j->o->results_claim;

	for (size_t i = 0; i < j->nr; i++)
		json_array_append_new(items, json_pack("{s:s, s:s}", "key", j->entries[i].key,
						       "path", j->entries[i].path));
	return json_pack("[{s:s, s:{s:o, s:o}}, {s:s, s:{s:o}}, {s:s, s:{s:s}}]",
			 "name", "scenario", "configMap",
			 "name", str_take(xasprintf("%s-scenario", j->name)), "items", items,
			 "name", "results", "persistentVolumeClaim", "claimName",
			 claim ? json_string(claim) : str_take(xasprintf("%s-results", j->name)),
			 "name", "tmp", "emptyDir", "sizeLimit", "64Mi");
}

static json_t *pod_spec(const struct job *j)
{
	json_t *spec = json_pack("{s:s, s:b, s:b, s:{s:b, s:i, s:i, s:i, s:s, s:{s:s}}}",
				 "restartPolicy", "Never",
				 "automountServiceAccountToken", 0, "enableServiceLinks", 0,
				 "securityContext", "runAsNonRoot", 1, "runAsUser", RUN_AS_ID,
				 "runAsGroup", RUN_AS_ID, "fsGroup", RUN_AS_ID,
				 "fsGroupChangePolicy", "OnRootMismatch",
				 "seccompProfile", "type", "RuntimeDefault");

	/* copies on different nodes do not share a NIC or CPUs, where the cluster allows */
	if (j->o->parallel > 1)
		json_object_set_new(spec, "topologySpreadConstraints", json_pack(
			"[{s:i, s:s, s:s, s:{s:o}}]", "maxSkew", 1,
			"topologyKey", "kubernetes.io/hostname", "whenUnsatisfiable", "ScheduleAnyway",
			"labelSelector", "matchLabels", labels(j)));
	json_object_set_new(spec, "containers", json_pack("[o]", container(j)));
	json_object_set_new(spec, "volumes", volumes(j));
	return spec;
}

static json_int_t deadline_s(const struct job *j)
{
	if (j->o->deadline_s)
		return (json_int_t)j->o->deadline_s;
	if (!j->run_ms)
		return DEADLINE_DEFAULT_S;
	return (json_int_t)((j->run_ms + 999) / 1000 + DEADLINE_SLACK_S);
}

/*
 * A copy is never retried: a late copy would add its load after the
 * others finished, and overwrite its result. Exit 2 (usage or input) and
 * 3 (environment) fail the same way in every copy, so they end the Job.
 */
static void render_job(struct strbuf *out, const struct job *j)
{
	json_t *obj = object(j, "batch/v1", "Job", json_string(j->name));
	json_t *spec = json_pack("{s:s, s:i, s:i, s:i, s:I, s:i}",
				 "completionMode", "Indexed",
				 "completions", (int)j->o->parallel, "parallelism", (int)j->o->parallel,
				 "backoffLimitPerIndex", 0, "activeDeadlineSeconds", deadline_s(j),
				 "ttlSecondsAfterFinished", TTL_S);

	json_object_set_new(spec, "podFailurePolicy", json_pack(
		"{s:[{s:s, s:{s:s, s:s, s:[i, i]}}]}", "rules", "action", "FailJob",
		"onExitCodes", "containerName", CONTAINER, "operator", "In", "values", 2, 3));
	json_object_set_new(spec, "template", json_pack("{s:{s:o}, s:o}", "metadata",
							"labels", labels(j), "spec", pod_spec(j)));
	json_object_set_new(obj, "spec", spec);
	emit(out, obj);
}

static void job_release(struct job *j)
{
	for (size_t i = 0; i < j->nr; i++)
		free(j->entries[i].key);
	free(j->entries);
	free(j->name);
}

int job_render(struct strbuf *out, const struct job_opts *o, struct strbuf *err)
{
	struct job j = { .o = o };
	struct strbuf sb = STRBUF_INIT;
	int ret = -1;

	if (check_opts(o, err) < 0 || job_name(&j, err) < 0 || read_scenario(&j, err) < 0 ||
	    collect_entries(&j, err) < 0)
		goto out;
	render_configmap(&sb, &j);
	if (!o->results_claim)
		render_claim(&sb, &j);
	render_job(&sb, &j);
	strbuf_add(out, sb.buf, sb.len);
	ret = 0;
out:
	strbuf_release(&sb);
	job_release(&j);
	return ret;
}
