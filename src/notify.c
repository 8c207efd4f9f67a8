/* notify: tell systemd what we are doing (sd_notify); all no-ops outside systemd. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "notify.h"

static struct event *notify_watchdog;

static void notify_send(const char *);
static void notify_watchdog_cb(evutil_socket_t, short, void *);

/*
 * When the unit sets WatchdogSec, ping systemd from a timer on BASE at half
 * the period. The timer runs on the event loop itself, so a wedged loop stops
 * the pings and systemd restarts us: that is the point.
 */
void
notify_init(struct event_base *base)
{
	struct timeval tv;
	uint64_t usec;
	int r;

	r = sd_watchdog_enabled(0, &usec);
	if (r < 0)
		log_warnx("systemd watchdog settings unusable: %s", strerror(-r));
	if (r <= 0 || usec == 0)
		return;
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	notify_watchdog = event_new(base, -1, EV_PERSIST, notify_watchdog_cb, NULL);
	if (notify_watchdog == NULL || event_add(notify_watchdog, &tv) == -1)
		fatalx("cannot start the systemd watchdog timer");
	log_info("systemd watchdog: pinging every %" PRIu64 " ms", usec / 1000);
	notify_send("WATCHDOG=1");
}

/* Stop the watchdog pings. */
void
notify_shutdown(void)
{
	if (notify_watchdog != NULL)
		event_free(notify_watchdog);
	notify_watchdog = NULL;
}

/* One watchdog ping. */
static void
notify_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	notify_send("WATCHDOG=1");
}

/* Start-up (or a reload) is complete. */
void
notify_ready(void)
{
	notify_send("READY=1");
}

/*
 * A reload began; call notify_ready when it is done. MONOTONIC_USEC lets
 * newer systemd (Type=notify-reload) match the two; older ones ignore it.
 */
void
notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
	notify_send(msg);
}

/* We are stopping (a demote hook may still run). */
void
notify_stopping(void)
{
	notify_send("STOPPING=1");
}

/* The one-line status systemctl shows. */
void
notify_status(const char *fmt, ...)
{
	char status[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(status, sizeof(status), fmt, ap);
	va_end(ap);
	if (sd_notifyf(0, "STATUS=%s", status) < 0)
		log_debug("sd_notify STATUS failed");
}

/* Ask systemd for USEC more before it gives up on our start or stop. */
void
notify_extend_timeout(uint64_t usec)
{
	if (sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%" PRIu64, usec) < 0)
		log_debug("sd_notify EXTEND_TIMEOUT_USEC failed");
}

/*
 * Send MSG to systemd. Outside systemd (no NOTIFY_SOCKET) this does nothing.
 * NOTIFY_SOCKET stays in our environment for later calls; hooks get their own
 * environment without it.
 */
static void
notify_send(const char *msg)
{
	if (sd_notify(0, msg) < 0)
		log_debug("sd_notify %s failed", msg);
}
