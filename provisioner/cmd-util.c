/*
 * Helpers the commands share: the options --branch, --commit and -o, JSON
 * on stdout, the environments on this machine, and ENV arguments.
 */
#include "cmd.h"
#include "diag.h"
#include "fsutil.h"
#include "load.h"
#include "naming.h"
#include "rt-env.h"
#include "usage.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *cmd_branch, *cmd_commit;
const char *const cmd_output_formats[] = { "text", "json", NULL };

void cmd_dump_json(json_t *doc)
{
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);

	printf("%s\n", s);
	free(s);
}

char **cmd_env_names(const char *state, size_t *nr)
{
	char *envs = rt_envs_dir(state), **names;

	if (list_dir(envs, &names, nr) < 0) {
		names = xcalloc(1, sizeof(*names));
		*nr = 0;
	}
	free(envs);
	return names;
}


void cmd_audit_env(struct cli_ctx *ctx, const char *name)
{
	free(cmd_data(ctx)->audit_env);
	cmd_data(ctx)->audit_env = xstrdup(name);
}

static int is_definition(const char *arg)
{
	size_t len = strlen(arg);

	return (len > 5 && !strcmp(arg + len - 5, ".yaml")) || (len > 4 && !strcmp(arg + len - 4, ".yml"));
}

/* ENV is a name, or a definition file whose environment is meant. */
char *rt_resolve_name(const char *arg)
{
	struct load_opts lo = LOAD_OPTS_INIT;
	struct env_model m;
	struct diag d = DIAG_INIT;
	char *name = NULL;

	if (is_definition(arg) && access(arg, R_OK)) {
		error("cannot read the definition '%s': %s", arg, strerror(errno));
		return NULL;
	}
	if (!is_definition(arg)) {
		/* an empty name (a `$(provisioner name ...)` that failed) would be every environment */
		if (!is_dns_label(arg)) {
			error("invalid environment name '%s': a name is a DNS label (lower-case letters, "
			      "digits and '-', at most %d characters, starting with a letter, not "
			      "ending with '-')", arg, DNS_LABEL_MAX);
			return NULL;
		}
		return xstrdup(arg);
	}
	lo.branch = cmd_branch;
	env_model_init(&m);
	if (env_load(&m, arg, &lo, &d) == 0)
		name = xstrdup(m.env_name);
	else
		cmd_print_diag(&d);
	diag_release(&d);
	env_model_free(&m);
	return name;
}
