/*
 * Unit tests for pipeline definitions (pipelines/def.c): every key decoded
 * into its place, the topological order, the substitution of ${...} in
 * `run`, and problems reported all at once with file:line:col. The runner
 * itself is tested through the program (tests/t/pipeline.sh), with real
 * child processes.
 */
#include "def.h"
#include "diag.h"
#include "strbuf.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static const char full[] =
	"env_file: envs/test.yaml\n"
	"triggers:\n"
	"  push:\n"
	"    branches: [main, 'feature/*']\n"
	"  schedule: ['0 3 * * 1-5']\n"
	"  manual: true\n"
	"  delete: true\n"
	"jobs:\n"
	"  down:\n"
	"    stage: teardown\n"
	"    needs: [smoke, up]\n"
	"    when: always\n"
	"    run: [provisioner, down, '${env}']\n"
	"  smoke:\n"
	"    needs: [up]\n"
	"    run: [loadtest, run, loadtest/smoke.yaml, --env, '${env}']\n"
	"    timeout: 2m\n"
	"    retry: 2\n"
	"    changes: ['platform/**', 'loadtest/*.yaml']\n"
	"    reports: [out/smoke.xml]\n"
	"  up:\n"
	"    run: [provisioner, up, '${env_file}', --branch, '${branch}', --commit, '${commit}']\n"
	"  notify:\n"
	"    when: on_failure\n"
	"    run: [echo, failed]\n";

/* The messages of loading `text`, one per line, or "" when it loaded. */
static char *problems(const char *text)
{
	struct pipeline p;
	struct diag d = DIAG_INIT;
	struct strbuf sb = STRBUF_INIT;

	pipeline_load_mem(&p, "p.yaml", text, strlen(text), &d);
	diag_sort(&d);
	diag_format(&d, &sb, "");
	diag_release(&d);
	pipeline_release(&p);
	return strbuf_detach(&sb, NULL);
}

static void test_full(void)
{
	struct pipeline p;
	struct diag d = DIAG_INIT;
	struct strbuf order = STRBUF_INIT;
	const struct pl_job *smoke, *down;

	tap_is_int(pipeline_load_mem(&p, "p.yaml", full, strlen(full), &d), 0, "every key loads");
	tap_is_str(p.env_file, "envs/test.yaml", "env_file");
	tap_ok(p.triggers.push && p.triggers.push->branches.nr == 2 &&
	       !strcmp(p.triggers.push->branches.v[1].name, "feature/*"), "push branches");
	tap_ok(p.triggers.schedule.nr == 1 && p.triggers.manual && p.triggers.delete,
	       "schedule, manual, delete");
	tap_is_int((long)p.jobs.nr, 4, "four jobs");
	smoke = pl_job_at(&p, (size_t)pipeline_find_job(&p, "smoke"));
	down = pl_job_at(&p, (size_t)pipeline_find_job(&p, "down"));
	tap_ok(smoke->timeout_ms == 120000 && smoke->retry == 2, "timeout and retry");
	tap_ok(smoke->changes.nr == 2 && smoke->reports.nr == 1 &&
	       !strcmp(smoke->reports.v[0].name, "out/smoke.xml"), "changes and reports kept");
	tap_ok(down->when == PL_ALWAYS && !strcmp(down->stage, "teardown") &&
	       smoke->when == PL_ON_SUCCESS, "when and stage");
	tap_is_int(smoke->run.v[4].pos.line, 16, "run words keep where they were written");
	for (size_t k = 0; k < p.jobs.nr; k++)
		strbuf_addf(&order, "%s ", pl_job_at(&p, p.order[k])->name);
	tap_is_str(order.buf, "up smoke down notify ", "order: each job after what it needs, "
		   "otherwise as written");
	strbuf_release(&order);
	diag_release(&d);
	pipeline_release(&p);
}

static void test_subst(void)
{
	struct pl_vars v = { "obs-main", "envs/test.yaml", "main", "abc" };
	struct pl_vars none = { NULL, NULL, NULL, NULL };
	char *bad, *s;

	s = pl_subst("${env}/${branch}@${commit} $$HOME ${env_file}", &v, &bad);
	tap_is_str(s, "obs-main/main@abc $HOME envs/test.yaml", "every variable, and $$");
	free(s);
	s = pl_subst("$HOME ${ unclosed", &v, &bad);
	tap_is_str(s, "$HOME ${ unclosed", "other dollars stay as they are");
	free(s);
	s = pl_subst("x${nope}", &v, &bad);
	tap_ok(!s && bad && !strcmp(bad, "nope"), "an unknown variable is named");
	free(bad);
	s = pl_subst("${branch}", &none, &bad);
	tap_ok(!s && !bad, "a known variable without a value: NULL, nothing named");
}

static void test_problems(void)
{
	char *m;

	m = problems("jobs:\n  a:\n    needs: [b]\n    run: [true]\n  b:\n    needs: [a]\n    run: [true]\n");
	tap_is_str(m, "p.yaml:2:3: the needs of job 'a' form a cycle: a -> b -> a\n", "a cycle, named");
	free(m);
	m = problems("jobs:\n  a:\n    run: [x]\n    timeout: 3 days\n    whne: always\n"
		     "  b:\n    needs: [aa]\n    run: ['${comit}']\n");
	tap_is_str(m, "p.yaml:4:14: invalid value for 'timeout': unknown duration unit "
		   "(use ms, s, m, h or d), got '3 days'\n"
		   "p.yaml:5:5: unknown key 'whne' (did you mean 'when'?)\n"
		   "p.yaml:7:13: job 'b' needs unknown job 'aa' (did you mean 'a'?)\n"
		   "p.yaml:8:11: unknown variable '${comit}' in run (did you mean '${commit}'?)\n",
		   "every problem at once, each where it was written");
	free(m);
	m = problems("jobs:\n  a:\n    run: [true]\n    when: on_succes\n");
	tap_ok(strstr(m, "p.yaml:4:11: invalid value for 'when'") != NULL, "a bad when: %s", m);
	free(m);
}

int main(void)
{
	test_full();
	test_subst();
	test_problems();
	return tap_done();
}
