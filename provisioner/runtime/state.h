/*
 * Where the provisioner keeps its state: $PROVISIONER_STATE_DIR if set;
 * otherwise /var/lib/provisioner as root, and $XDG_STATE_HOME/provisioner
 * (or ~/.local/state/provisioner) for other users.
 */
#ifndef PROVISIONER_STATE_H
#define PROVISIONER_STATE_H

/* The state directory, created (mode 0700) if needed; NULL on failure. */
char *state_dir(void);

#endif
