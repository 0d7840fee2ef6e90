/*
 * Messages for people. Only programs (the CLI, tests) call these; library
 * code reports problems through a `struct strbuf *err` or a `struct diag`
 * list owned by the caller, so the caller chooses how to present them.
 *
 * Messages are lower-case, name the problem first, quote the subject, and
 * end without a full stop:
 *   error: envs/test.yaml:12:5: unknown key 'replica' (did you mean 'replicas'?)
 */
#ifndef LIB_USAGE_H
#define LIB_USAGE_H

#define NORETURN __attribute__((noreturn))
#define PRINTF(a, b) __attribute__((format(printf, a, b)))

/* The program name used in messages, e.g. "provisioner". */
extern const char *usage_progname;

void die(const char *fmt, ...) NORETURN PRINTF(1, 2);
void die_errno(const char *fmt, ...) NORETURN PRINTF(1, 2);
int error(const char *fmt, ...) PRINTF(1, 2);        /* returns -1 */
int error_errno(const char *fmt, ...) PRINTF(1, 2);  /* returns -1 */
void warning(const char *fmt, ...) PRINTF(1, 2);
void bug_fl(const char *file, int line, const char *fmt, ...) NORETURN PRINTF(3, 4);

#define BUG(...) bug_fl(__FILE__, __LINE__, __VA_ARGS__)

/* Exit status die() uses (default 128, as a crash-like fatal error). */
extern int die_status;

#endif
