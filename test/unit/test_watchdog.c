/*
 * Unit tests for watchdog: the device layer against a FIFO and a pty (devices
 * without the timeout ioctls), the test holding the read end and reading what
 * was written.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "watchdog.h"
#include "xmalloc.h"

static char tmpdir[64];

static char *fifo_in(const char *name);
static int reader(const char *path);
static short wait_hup(int fd);

/* A new FIFO NAME in the test's temporary directory (its path, malloc'd). */
static char *
fifo_in(const char *name)
{
	char *path = xasprintf("%s/%s", tmpdir, name);

	assert_int_equal(mkfifo(path, 0600), 0);
	return path;
}

/* The read end of the FIFO at PATH, as the stand-in holds it. */
static int
reader(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	assert_true(fd != -1);
	return fd;
}

/* The events on reader FD once it has any (1 s at most): POLLHUP once the writer closed. */
static short
wait_hup(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	assert_int_equal(poll(&pfd, 1, 1000), 1);
	return pfd.revents;
}

/* A FIFO has no timeout ioctls: used without controls, with the timeout asked, nothing written. */
static void
test_fifo_without_controls(void **state)
{
	char err[256], buf[8];
	struct watchdog *w;
	char *path;
	int rfd;

	(void)state;
	path = fifo_in("plain");
	rfd = reader(path);
	w = watchdog_open(path, 2500, err, sizeof(err));
	assert_non_null(w);
	assert_false(watchdog_controls(w));
	assert_int_equal(watchdog_timeout_ms(w), 2500);
	assert_int_equal(read(rfd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	watchdog_close_armed(w);
	close(rfd);
	free(path);
}

/* Each kick is one byte that is not 'V'; the disarming close writes 'V' last, then closes. */
static void
test_kick_and_disarm(void **state)
{
	char err[256], buf[8];
	struct watchdog *w;
	char *path;
	int rfd;

	(void)state;
	path = fifo_in("kick");
	rfd = reader(path);
	w = watchdog_open(path, 1000, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(watchdog_kick(w), 0);
	assert_int_equal(read(rfd, buf, sizeof(buf)), 1);
	assert_true(buf[0] != 'V');
	assert_int_equal(watchdog_kick(w), 0);
	assert_int_equal(watchdog_kick(w), 0);
	assert_int_equal(read(rfd, buf, sizeof(buf)), 2);
	assert_true(buf[0] != 'V' && buf[1] != 'V');
	assert_int_equal(watchdog_close_disarm(w), 0);
	assert_true(wait_hup(rfd) & POLLHUP);
	assert_int_equal(read(rfd, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'V');
	assert_int_equal(read(rfd, buf, sizeof(buf)), 0);
	close(rfd);
	free(path);
}

/* The armed close writes nothing: the reader sees the close and no 'V'. */
static void
test_close_armed(void **state)
{
	char err[256], buf[8];
	struct watchdog *w;
	char *path;
	int rfd;

	(void)state;
	path = fifo_in("armed");
	rfd = reader(path);
	w = watchdog_open(path, 1000, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(watchdog_kick(w), 0);
	assert_int_equal(read(rfd, buf, sizeof(buf)), 1);
	watchdog_close_armed(w);
	assert_true(wait_hup(rfd) & POLLHUP);
	assert_int_equal(read(rfd, buf, sizeof(buf)), 0);
	close(rfd);
	free(path);
}

/* When the reader went away, a kick fails (EPIPE) and so does the disarming close. */
static void
test_kick_without_reader(void **state)
{
	char err[256];
	struct watchdog *w;
	char *path;
	int rfd;

	(void)state;
	path = fifo_in("gone");
	rfd = reader(path);
	w = watchdog_open(path, 1000, err, sizeof(err));
	assert_non_null(w);
	close(rfd);
	assert_int_equal(watchdog_kick(w), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(watchdog_close_disarm(w), -1);
	assert_int_equal(errno, EPIPE);
	free(path);
}

/* A FIFO with no reader cannot be opened: ENXIO, named in the error with the path. */
static void
test_open_no_reader(void **state)
{
	char err[256];
	char *path;

	(void)state;
	path = fifo_in("noreader");
	assert_null(watchdog_open(path, 1000, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENXIO)));
	free(path);
}

/* A missing device: the error names the path and the reason. */
static void
test_open_missing(void **state)
{
	char err[256];
	char *path;

	(void)state;
	path = xasprintf("%s/no/such/watchdog", tmpdir);
	assert_null(watchdog_open(path, 1000, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOENT)));
	free(path);
}

/* A pty has no timeout ioctls either; a timeout under a second is kept as asked. */
static void
test_pty_without_controls(void **state)
{
	char err[256], buf[8];
	struct watchdog *w;
	const char *slave;
	int master;

	(void)state;
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master == -1)
		skip();
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	assert_non_null(slave = ptsname(master));
	w = watchdog_open(slave, 300, err, sizeof(err));
	assert_non_null(w);
	assert_false(watchdog_controls(w));
	assert_int_equal(watchdog_timeout_ms(w), 300);
	assert_int_equal(watchdog_kick(w), 0);
	assert_int_equal(read(master, buf, sizeof(buf)), 1);
	assert_true(buf[0] != 'V');
	assert_int_equal(watchdog_close_disarm(w), 0);
	close(master);
}

/* No sysfs entry for the device: unknown, and the text says so. */
static void
test_boot_status_unknown(void **state)
{
	char buf[256];
	char *path;

	(void)state;
	path = xasprintf("%s/wd-standin", tmpdir);
	assert_int_equal(watchdog_boot_status(path, buf, sizeof(buf)), -1);
	assert_non_null(strstr(buf, "boot status unknown"));
	assert_non_null(strstr(buf, "/sys/class/watchdog/wd-standin/bootstatus"));
	free(path);
}

/* A private temporary directory. */
static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_watchdog.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

/* Remove the temporary directory and the FIFOs the tests made in it. */
static int
teardown(void **state)
{
	const char *names[] = { "plain", "kick", "armed", "gone", "noreader" };
	char *p;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		p = xasprintf("%s/%s", tmpdir, names[i]);
		unlink(p);
		free(p);
	}
	return rmdir(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_without_controls),
		cmocka_unit_test(test_kick_and_disarm),
		cmocka_unit_test(test_close_armed),
		cmocka_unit_test(test_kick_without_reader),
		cmocka_unit_test(test_open_no_reader),
		cmocka_unit_test(test_open_missing),
		cmocka_unit_test(test_pty_without_controls),
		cmocka_unit_test(test_boot_status_unknown),
	};

	(void)signal(SIGPIPE, SIG_IGN);	/* a kick on a FIFO without reader: EPIPE, not death */
	return cmocka_run_group_tests(tests, setup, teardown);
}
