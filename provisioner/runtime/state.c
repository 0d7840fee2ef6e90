/*
 * The state directory; see state.h.
 */
#include "state.h"
#include "fsutil.h"
#include "xalloc.h"

#include <stdlib.h>
#include <unistd.h>

char *state_dir(void)
{
	const char *env = getenv("PROVISIONER_STATE_DIR");
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char *dir;

	if (env && *env)
		dir = xstrdup(env);
	else if (geteuid() == 0)
		dir = xstrdup("/var/lib/provisioner");
	else if (xdg && *xdg)
		dir = xasprintf("%s/provisioner", xdg);
	else if (home && *home)
		dir = xasprintf("%s/.local/state/provisioner", home);
	else
		return NULL;
	if (mkdir_p(dir, 0700) < 0) {
		free(dir);
		return NULL;
	}
	return dir;
}
