/*
 * provisioner list [-o text|json|yaml]
 *
 * One line per environment on this machine, with who stood it up (the
 * `uid` of its state, as a user name), the state coloured on a terminal.
 * Read-only.
 */
#include "cmd.h"
#include "color.h"
#include "fsutil.h"
#include "rt-env.h"
#include "rt-gc.h"
#include "rt-status.h"
#include "state.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int output;

static const struct cli_option list_options[] = {
	OPT_OUTPUT(&output),
	OPT_END(),
};

static void age(char *buf, size_t len, long long secs)
{
	if (secs < 0)
		snprintf(buf, len, "-");
	else if (secs < 3600)
		snprintf(buf, len, "%lldm", secs / 60);
	else
		snprintf(buf, len, "%lldh%02lldm", secs / 3600, (secs % 3600) / 60);
}

static void print_row(const struct rt_status *s, int color, const char *mode, const char *owner,
		      const char *age, const char *expires, const char *gateway)
{
	struct strbuf state = STRBUF_INIT;

	color_add(&state, color, rt_state_color(s->state), s->state, 9);
	printf("%-40s %s %-8s %-8s %-10s %-7s %-8s %s\n", s->st.name, state.buf, mode, s->st.tier,
	       owner, age, expires, gateway);
	strbuf_release(&state);
}

/* One environment: a row on the terminal, or an entry of the JSON list. */
static void list_one(const char *state, const char *name, json_t *all, int color)
{
	struct strbuf err = STRBUF_INIT;
	struct rt_status s;
	long long now = (long long)time(NULL), exp;
	const char *mode, *gateway;
	char a[16], e[16], *who;

	if (rt_status_load(&s, state, name, &err) < 0) {
		rt_status_release(&s);
		strbuf_release(&err);
		return;
	}
	exp = s.st.expires;
	mode = rt_mode_names[s.st.mode];
	gateway = s.st.gateway ? s.st.gateway->url : "";
	age(a, sizeof(a), now - s.st.created);
	age(e, sizeof(e), exp ? exp - now : -1);
	who = rt_owner_name(s.st.uid);
	if (all)
		json_array_append_new(all, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s}",
			"name", s.st.name, "state", s.state, "mode", mode, "tier", s.st.tier,
			"owner", who, "created", (json_int_t)s.st.created,
			"expires", (json_int_t)exp, "gateway", gateway));
	else
		print_row(&s, color, mode, who, a, exp ? e : "never", gateway);
	free(who);
	rt_status_release(&s);
	strbuf_release(&err);
}

static enum cli_result cmd_list_exec(struct cli_ctx *ctx)
{
	char *state = state_dir(), **names;
	json_t *all = output != CMD_OUTPUT_TEXT ? json_array() : NULL;
	size_t nr;

	if (!state) {
		json_decref(all);
		return CLI_USAGE;
	}
	names = cmd_env_names(state, &nr);
	if (!all)
		printf("%-40s %-9s %-8s %-8s %-10s %-7s %-8s %s\n", "NAME", "STATE", "MODE", "TIER",
		       "OWNER", "AGE", "EXPIRES", "GATEWAY");
	for (size_t i = 0; i < nr; i++)
		list_one(state, names[i], all, color_enabled(STDOUT_FILENO));
	if (all) {
		json_t *doc = json_pack("{s:s, s:O}", "format", CMD_FORMAT_LIST, "environments", all);

		cmd_dump(doc, output, 1);
		json_decref(doc);
	}
	json_decref(all);
	free_list(names);
	free(state);
	return CLI_OK;
}

const struct cli_cmd cmd_list_entry = {
	.name = "list",
	.args = "[-o text|json|yaml]",
	.summary = "list the environments on this machine",
	.options = list_options,
	.min_args = 0, .max_args = 0,
	.exec = cmd_list_exec,
};
