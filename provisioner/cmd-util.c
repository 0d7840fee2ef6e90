/*
 * Helpers the commands share: the options --branch, --commit and -o, JSON
 * on stdout, the environments on this machine, and ENV arguments.
 */
#include "cmd.h"
#include "diag.h"
#include "fsutil.h"
#include "load.h"
#include "rt-env.h"
#include "usage.h"
#include "xalloc.h"

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


/* ENV is a name, or a definition file whose environment is meant. */
char *rt_resolve_name(const char *arg)
{
	struct load_opts lo = LOAD_OPTS_INIT;
	struct env_model m;
	struct diag d = DIAG_INIT;
	char *name = NULL;
	size_t len = strlen(arg);

	if (access(arg, R_OK) || !(len > 5 && (!strcmp(arg + len - 5, ".yaml") ||
						 !strcmp(arg + len - 4, ".yml"))))
		return xstrdup(arg);
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
