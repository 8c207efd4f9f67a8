/* notify: tell systemd what we are doing (sd_notify); all no-ops outside systemd. */
#ifndef ZKELECT_NOTIFY_H
#define ZKELECT_NOTIFY_H

#include <stdint.h>

struct event_base;

/* Start the watchdog timer on BASE when the unit sets WatchdogSec. */
void notify_init(struct event_base *base);
void notify_shutdown(void);
void notify_ready(void);
void notify_reloading(void);
void notify_stopping(void);
/* STATUS=... line shown by systemctl status. */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ask systemd for USEC more before it kills us (a stop-time demote hook runs). */
void notify_extend_timeout(uint64_t usec);

#endif
