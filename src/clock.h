/* clock: a clock's time in milliseconds, one definition for every module. */
#ifndef ZKELECT_CLOCK_H
#define ZKELECT_CLOCK_H

#include <stdint.h>
#include <time.h>

/*
 * CLOCK_BOOTTIME for deadlines that must count on through a suspend (the
 * session's safety clock), CLOCK_MONOTONIC for other waits, CLOCK_REALTIME
 * for times shown to people (the state file, logs of events).
 */
int64_t clock_ms(clockid_t id);

#endif
