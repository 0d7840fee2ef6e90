#include <stdio.h>
#include <stdlib.h>
#include "supervisor.h"
#include "state.h"
#include "usage.h"
int main(int argc, char **argv)
{
	char *state;
	int rc;
	usage_progname = "provisioner-supervisor";
	if (argc != 2) { fprintf(stderr, "usage: provisioner-supervisor ENV\n"); return 2; }
	state = state_dir();
	if (!state) return 1;
	rc = supervisor_main(state, argv[1]) ? 1 : 0;
	free(state);
	return rc;
}
