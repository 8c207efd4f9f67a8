/* notify: tell systemd what we are doing (sd_notify); all no-ops outside systemd. */
/*
 * We speak the notification protocol ourselves rather than link libsystemd:
 * systemd documents it as stable and suggests exactly this for small daemons
 * (sd_notify(3), NOTES), and libsystemd, with what it drags in (libgcrypt,
 * liblzma, libzstd, ...), cost about 1 MB of resident memory for two calls.
 * The protocol: each message is one datagram of newline-separated VAR=value
 * assignments sent to the AF_UNIX socket named by NOTIFY_SOCKET.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "notify.h"

/* What NOTIFY_SOCKET said, decided at the first message. */
enum notify_target { NT_UNKNOWN, NT_NONE, NT_SOCKET };

static struct event *notify_watchdog;
static enum notify_target notify_target = NT_UNKNOWN;
static struct sockaddr_un notify_addr;
static socklen_t notify_addrlen;
static int notify_fd = -1;

static uint64_t notify_watchdog_usec(void);
static bool notify_parse_u64(const char *, uint64_t *);
static bool notify_address(void);
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

	if ((usec = notify_watchdog_usec()) == 0)
		return;
	/* at least 1 ms: an absurd WatchdogSec must not spin the loop */
	usec = usec / 2 < 1000 ? 1000 : usec / 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	notify_watchdog = event_new(base, -1, EV_PERSIST, notify_watchdog_cb, NULL);
	if (notify_watchdog == NULL || event_add(notify_watchdog, &tv) == -1)
		fatalx("cannot start the systemd watchdog timer");
	log_info("systemd watchdog: pinging every %" PRIu64 " ms", usec / 1000);
	notify_send("WATCHDOG=1");
}

/* Stop the watchdog pings and close the socket. */
void
notify_shutdown(void)
{
	if (notify_watchdog != NULL)
		event_free(notify_watchdog);
	notify_watchdog = NULL;
	if (notify_fd != -1)
		(void)close(notify_fd);
	notify_fd = -1;
}

/*
 * The watchdog period systemd asks of us, in microseconds, or 0 for none; what
 * sd_watchdog_enabled(3) reads. WATCHDOG_USEC is a positive decimal. A set
 * WATCHDOG_PID must be ours: the variables survive a fork, and the watchdog
 * belongs to the main process alone.
 */
static uint64_t
notify_watchdog_usec(void)
{
	const char *us = getenv("WATCHDOG_USEC"), *ps = getenv("WATCHDOG_PID");
	uint64_t usec, pid;

	if (us == NULL)
		return 0;
	if (!notify_parse_u64(us, &usec) || usec == 0) {
		log_warnx("systemd watchdog settings unusable: WATCHDOG_USEC=%s", us);
		return 0;
	}
	if (ps == NULL)
		return usec;
	if (!notify_parse_u64(ps, &pid) || pid == 0 || pid > INT32_MAX) {
		log_warnx("systemd watchdog settings unusable: WATCHDOG_PID=%s", ps);
		return 0;
	}
	if (pid != (uint64_t)getpid()) {
		log_debug("systemd watchdog: WATCHDOG_PID=%s is not us, not pinging", ps);
		return 0;
	}
	return usec;
}

/* S is nothing but decimal digits and fits in 64 bits: its value in *V. */
static bool
notify_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long n;
	char *end;

	/* strtoull alone would take " 12", "+12" and "-12" */
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*v = n;
	return true;
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

/*
 * The one-line status systemctl shows. It quotes a leader id read from
 * ZooKeeper: a newline in it would start an assignment of its own (MAINPID=,
 * say), so control characters become spaces.
 */
void
notify_status(const char *fmt, ...)
{
	char status[256], msg[sizeof("STATUS=") + sizeof(status)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(status, sizeof(status), fmt, ap);
	va_end(ap);
	for (char *p = status; *p != '\0'; p++)
		if (iscntrl((unsigned char)*p))
			*p = ' ';
	snprintf(msg, sizeof(msg), "STATUS=%s", status);
	notify_send(msg);
}

/* Ask systemd for USEC more before it gives up on our start or stop. */
void
notify_extend_timeout(uint64_t usec)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "EXTEND_TIMEOUT_USEC=%" PRIu64, usec);
	notify_send(msg);
}

/*
 * Fill notify_addr from NOTIFY_SOCKET: an absolute path, or an abstract
 * address written with a leading '@' for the NUL byte the kernel wants there.
 * False when it is unset, empty or unusable; an unusable one is reported
 * here, once, as it cannot change under us.
 */
static bool
notify_address(void)
{
	const char *s = getenv("NOTIFY_SOCKET");
	size_t len, max;

	if (s == NULL || *s == '\0')
		return false;
	if (*s != '/' && *s != '@') {
		log_warnx("NOTIFY_SOCKET=%s is neither an absolute path nor an "
		    "abstract address; not notifying systemd", s);
		return false;
	}
	/* a path needs room for its NUL; an abstract address has none */
	len = strlen(s);
	max = sizeof(notify_addr.sun_path) - (*s == '/' ? 1 : 0);
	if (len > max) {
		log_warnx("NOTIFY_SOCKET is %zu bytes long, more than the %zu a "
		    "socket address holds; not notifying systemd", len, max);
		return false;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, s, len);
	notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if (*s == '@')
		notify_addr.sun_path[0] = '\0';
	else
		notify_addrlen++;	/* the path's NUL */
	return true;
}

/*
 * Send MSG to systemd. Outside systemd (no NOTIFY_SOCKET) this does nothing.
 * One socket serves for the life of the process; it stays unconnected, so
 * each sendto looks the address up again and a systemd that re-executed
 * (and bound its socket anew) still hears us. It blocks, as libsystemd's
 * does: a full queue at PID 1 must delay READY=1, not lose it. A failure
 * costs one message, never the daemon. NOTIFY_SOCKET stays in our
 * environment; hooks get their own environment without it.
 */
static void
notify_send(const char *msg)
{
	int len = (int)strcspn(msg, "\n");	/* log one line */

	if (notify_target == NT_UNKNOWN)
		notify_target = notify_address() ? NT_SOCKET : NT_NONE;
	if (notify_target == NT_NONE)
		return;
	if (notify_fd == -1 &&
	    (notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_debug("sd_notify %.*s failed: socket: %s", len, msg, strerror(errno));
		return;
	}
	if (sendto(notify_fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (const struct sockaddr *)&notify_addr, notify_addrlen) == -1)
		log_debug("sd_notify %.*s failed: %s", len, msg, strerror(errno));
}
