/*
 * watchdog: open, kick and close a Linux watchdog device (see watchdog.h).
 *
 * Writing to the device is the keepalive on every Linux driver, so no
 * WDIOC_KEEPALIVE. The watchdog core stops the timer at close only when the
 * last write held a 'V' (or when the driver lacks WDIOF_MAGICCLOSE, in which
 * case any close stops it); otherwise it pings once and keeps running.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/watchdog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "watchdog.h"
#include "xmalloc.h"

#define MAGIC	'V'	/* the last byte written before a close that disarms */
#define KICK	'k'	/* any other byte is a keepalive */

struct watchdog {
	int fd;
	int64_t timeout_ms;	/* in force, or as asked without controls */
	bool controls;		/* the timeout ioctls answered */
};

static bool no_such_ioctl(int e);
static int seconds_up(int64_t ms);
static int ask_timeout(struct watchdog *w, const char *device, int64_t timeout_ms,
    char *err, size_t errlen);
static int put_byte(int fd, char c);
static const char *sysfs_name(const char *device);

/* Whether errno E says the device has no such ioctl (a FIFO, a pty, /dev/null). */
static bool
no_such_ioctl(int e)
{
	return e == ENOTTY || e == EINVAL || e == EOPNOTSUPP;
}

/* MS in whole seconds for WDIOC_SETTIMEOUT, rounded up, within 1 .. INT_MAX. */
static int
seconds_up(int64_t ms)
{
	if (ms <= 1000)
		return 1;
	if (ms / 1000 >= INT_MAX)
		return INT_MAX;
	return (int)((ms + 999) / 1000);
}

/*
 * Ask for TIMEOUT_MS and note in W what is in force. A refused SETTIMEOUT is
 * no error by itself (a real driver says EINVAL when out of range): GETTIMEOUT
 * says what holds. -1 with ERR when an ioctl fails otherwise.
 */
static int
ask_timeout(struct watchdog *w, const char *device, int64_t timeout_ms, char *err, size_t errlen)
{
	int secs, got = 0, set_errno = 0;

	secs = seconds_up(timeout_ms);
	if (ioctl(w->fd, WDIOC_SETTIMEOUT, &secs) == -1)
		set_errno = errno;
	if (ioctl(w->fd, WDIOC_GETTIMEOUT, &got) == 0) {
		w->timeout_ms = (int64_t)got * 1000;
		w->controls = true;
	} else if (!no_such_ioctl(errno)) {
		snprintf(err, errlen, "watchdog %s: WDIOC_GETTIMEOUT: %s", device, strerror(errno));
		return -1;
	} else if (set_errno == 0) {
		/* SETTIMEOUT answered (drivers write back what is in force) */
		w->timeout_ms = (int64_t)secs * 1000;
		w->controls = true;
	} else if (no_such_ioctl(set_errno)) {
		w->timeout_ms = timeout_ms;
		w->controls = false;
	} else {
		snprintf(err, errlen, "watchdog %s: WDIOC_SETTIMEOUT: %s", device, strerror(set_errno));
		return -1;
	}
	return 0;
}

struct watchdog *
watchdog_open(const char *device, int64_t timeout_ms, char *err, size_t errlen)
{
	struct watchdog *w;
	size_t n;
	int fd;

	if ((fd = open(device, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "cannot open watchdog %s: %s", device, strerror(errno));
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	if (ask_timeout(w, device, timeout_ms, err, errlen) == 0)
		return w;
	/* opening armed it: disarm before giving up */
	if (watchdog_close_disarm(w) == -1 && errlen > 0 && (n = strlen(err)) + 1 < errlen)
		snprintf(err + n, errlen - n, "; it stays armed (writing 'V': %s)", strerror(errno));
	return NULL;
}

int64_t
watchdog_timeout_ms(const struct watchdog *w)
{
	return w->timeout_ms;
}

bool
watchdog_controls(const struct watchdog *w)
{
	return w->controls;
}

/* Write the one byte C to FD. 0, or -1 with errno (EIO for a write of nothing). */
static int
put_byte(int fd, char c)
{
	ssize_t n;

	do
		n = write(fd, &c, 1);
	while (n == -1 && errno == EINTR);
	if (n == 1)
		return 0;
	if (n == 0)
		errno = EIO;
	return -1;
}

int
watchdog_kick(struct watchdog *w)
{
	return put_byte(w->fd, KICK);
}

int
watchdog_close_disarm(struct watchdog *w)
{
	int rc, saved;

	rc = put_byte(w->fd, MAGIC);
	saved = errno;
	close(w->fd);
	free(w);
	errno = saved;
	return rc;
}

void
watchdog_close_armed(struct watchdog *w)
{
	close(w->fd);
	free(w);
}

/* DEVICE's name under /sys/class/watchdog: the legacy /dev/watchdog is watchdog0. */
static const char *
sysfs_name(const char *device)
{
	const char *slash = strrchr(device, '/');
	const char *name = slash != NULL ? slash + 1 : device;

	return strcmp(name, "watchdog") == 0 ? "watchdog0" : name;
}

int
watchdog_boot_status(const char *device, char *buf, size_t len)
{
	char path[PATH_MAX], line[64], *end;
	unsigned long status;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/watchdog/%s/bootstatus", sysfs_name(device));
	if ((f = fopen(path, "re")) == NULL) {
		snprintf(buf, len, "boot status unknown: %s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	(void)fclose(f);	/* read only: nothing to lose */
	errno = 0;
	status = strtoul(line, &end, 0);
	if (end == line || errno != 0 || (*end != '\n' && *end != '\0')) {
		snprintf(buf, len, "boot status unknown: %s: not a number", path);
		return -1;
	}
	if (status & WDIOF_CARDRESET) {
		snprintf(buf, len, "last boot was a watchdog reset");
		return 1;
	}
	snprintf(buf, len, "last boot was not a watchdog reset (bootstatus 0x%lx)", status);
	return 0;
}
