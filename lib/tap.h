/*
 * A small TAP producer for C unit tests: each check prints "ok N - name"
 * or "not ok N - name" with a diagnostic, and tap_done() prints the plan
 * and returns the exit status (non-zero when any check failed).
 */
#ifndef LIB_TAP_H
#define LIB_TAP_H

#include <stdint.h>

int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tap_is_str_(const char *got, const char *want, const char *file, int line,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int tap_is_int_(intmax_t got, intmax_t want, const char *file, int line,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tap_skip(const char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tap_done(void);

#define tap_is_str(got, want, ...) tap_is_str_((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define tap_is_int(got, want, ...) tap_is_int_((got), (want), __FILE__, __LINE__, __VA_ARGS__)

#endif
