/*
 * Clocks and timestamps, in one place.
 *
 * Durations and deadlines use the monotonic clock (clock_ms, clock_ns),
 * which no one can set back; what people and other programs read (logs,
 * events, reports, the audit log) is wall-clock UTC in RFC 3339 form
 * (utc_stamp). The hot paths read clock_ns, which is inline.
 */
#ifndef LIB_CLOCK_H
#define LIB_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define NS_PER_SEC 1000000000ull
#define NS_PER_MS 1000000ull

/* Monotonic nanoseconds since an arbitrary point. */
static inline uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Monotonic milliseconds since an arbitrary point. */
static inline long long clock_ms(void)
{
	return (long long)(clock_ns() / NS_PER_MS);
}

/* Seconds from a monotonic reading taken with clock_ns() until now. */
static inline double clock_since(uint64_t t0_ns)
{
	return (double)(clock_ns() - t0_ns) / 1e9;
}

/* Wall-clock milliseconds since the epoch. */
static inline long long wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep `ms` milliseconds (a signal may end it early). */
void sleep_ms(long ms);

#define UTC_STAMP_MAX 32

/*
 * `ts` (CLOCK_REALTIME; NULL: now) as "2026-11-22T10:59:00Z", or with
 * millis "2026-11-22T10:59:00.123Z", into buf (at least UTC_STAMP_MAX).
 * Returns buf.
 */
char *utc_stamp(char *buf, size_t len, const struct timespec *ts, int millis);

#endif
