/*
 * watchdog: a Linux watchdog device (/dev/watchdog, linux/watchdog.h) as the
 * caller drives it: open (which arms it), kick, then close with or without the
 * magic character. No event loop, no timers, no logging: the caller decides
 * when, and logs what these report.
 */
#ifndef ZKELECT_WATCHDOG_H
#define ZKELECT_WATCHDOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct watchdog;

/*
 * Open DEVICE (O_WRONLY|O_NONBLOCK|O_CLOEXEC; opening arms a real device) and
 * ask for TIMEOUT_MS (WDIOC_SETTIMEOUT in whole seconds, rounded up, at least
 * 1; then WDIOC_GETTIMEOUT reads back what is in force, which may differ: the
 * caller judges it). A device that answers neither ioctl (ENOTTY, EINVAL,
 * EOPNOTSUPP: a FIFO, a pty) is used "without controls": its timeout is taken
 * to be TIMEOUT_MS and watchdog_controls() is false. NULL with ERR filled
 * (what failed, the device and strerror) when it cannot be opened or an ioctl
 * fails otherwise; the device is then closed with the magic character.
 */
struct watchdog *watchdog_open(const char *device, int64_t timeout_ms, char *err, size_t errlen);
/* The timeout in force: read back, or as asked without controls. */
int64_t watchdog_timeout_ms(const struct watchdog *w);
/* Whether the timeout ioctls answered. */
bool watchdog_controls(const struct watchdog *w);
/*
 * One keepalive (a write of one byte that is not 'V'). 0, or -1 with errno
 * (EAGAIN too; EPIPE when a FIFO's reader went away, with SIGPIPE, which the
 * daemon ignores).
 */
int watchdog_kick(struct watchdog *w);
/*
 * Disarm: write the magic character 'V', then close; frees W. 0, or -1 with
 * errno when the write failed (the device stays armed). A driver built with
 * nowayout ignores 'V': this cannot be seen from here.
 */
int watchdog_close_disarm(struct watchdog *w);
/*
 * Close without the magic character, so the device stays armed (the host is
 * reset unless someone reopens and kicks it in time); frees W. For exec'ing a
 * new binary in place. Linux pings the device once on such a close.
 */
void watchdog_close_armed(struct watchdog *w);
/*
 * The last boot's status, read without opening DEVICE (opening would arm it):
 * /sys/class/watchdog/<name>/bootstatus, where <name> is DEVICE's basename
 * ("watchdog0" for the legacy "watchdog"). Writes a short text into BUF and
 * returns 1 (the last boot was a watchdog reset: WDIOF_CARDRESET), 0 (it was
 * not) or -1 (unknown, BUF says why).
 */
int watchdog_boot_status(const char *device, char *buf, size_t len);

#endif
