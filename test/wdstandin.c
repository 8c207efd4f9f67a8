/*
 * wdstandin: a stand-in for a Linux watchdog device, for the tests (our
 * machines have no watchdog driver). The daemon is configured with FIFO as its
 * device; the stand-in judges what it writes as a driver would and appends one
 * line per event to LOG:
 *
 *   <ns since the epoch, CLOCK_REALTIME> <id> <event> [detail]
 *
 *   ready        once, when FIFO exists and is open for reading (wait for it)
 *   open         a writer opened the device: armed; the open counts as a kick
 *   kick         a chunk of written bytes holding one that is not 'V'
 *   magic-close  the writer closed and the last byte it wrote was 'V': disarmed
 *   close-armed  the writer closed without it: still armed, and the deadline
 *                still counts from the last kick (Linux would ping once here,
 *                the stand-in is stricter)
 *   reset        armed and no kick for TIMEOUT_MS: the host would be reset now.
 *                Detail: ms since the last kick. Disarmed until the next open.
 *
 * Any write is a kick (as on Linux), a write of 'V' alone too, but only a
 * chunk holding some other byte gets a kick line. A close while disarmed (after
 * a reset) has the detail "disarmed". The reset line is written when ppoll()
 * wakes at the deadline (last kick + TIMEOUT_MS), with the time of that moment.
 *
 *   wdstandin FIFO TIMEOUT_MS LOG ID
 *
 * FIFO is made (mode 0600) unless it exists; it must be a FIFO. The stand-in
 * serves it until SIGTERM or SIGINT (exit 0, removing nothing). Each line is
 * one write() with O_APPEND, so stand-ins and readers may share a directory.
 * Nothing is printed but errors (on stderr, exit 1).
 *
 * How a FIFO behaves as a device on Linux: a writer's open(O_WRONLY|O_NONBLOCK)
 * succeeds only while a reader holds the FIFO open, and fails with ENXIO
 * otherwise (how a test makes "cannot open" happen), so the stand-in holds its
 * read end (O_RDONLY|O_NONBLOCK) for its whole life and never reopens it. A
 * poll() on that read end cannot see a writer arrive (no event until it
 * writes), its POLLHUP stays up from the first writer's close until the read
 * end is reopened, and a close followed at once by the next writer's open
 * (exec in place) hides the close. So the events come from inotify on FIFO, in
 * the order they happened: IN_OPEN (a writer opened: the watch is added after
 * our own open), IN_MODIFY (data to read) and IN_CLOSE_WRITE (the writer
 * closed). The read end is read when inotify says so, never polled. One writer
 * at a time, as a real device allows (EBUSY), and no other reader: IN_OPEN
 * does not say for what a file was opened. Bytes are judged when read, and a
 * FIFO keeps no boundary between writers: when a writer closes and the next
 * one opens and writes within the stand-in's wake-up time (well under a
 * millisecond), the close is judged with the next writer's first bytes.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS	1000000LL
#define NS_PER_S	1000000000LL

struct standin {
	const char *fifo, *log, *id;
	int64_t timeout_ns;
	int rfd;		/* our read end of FIFO */
	int ifd;		/* inotify on FIFO */
	bool armed;
	bool magic;		/* the last byte written was 'V' */
	int64_t last_kick;	/* CLOCK_MONOTONIC ns */
};

static volatile sig_atomic_t stopping;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static int64_t now_ns(clockid_t clock);
static void record(const struct standin *s, const char *event, const char *detail);
static void on_stop(int sig);
static void catch_stop(sigset_t *waitmask);
static void make_fifo(const char *path);
static void drain(struct standin *s);
static void on_open(struct standin *s);
static void on_close(struct standin *s);
static void on_events(struct standin *s);
static void check_reset(struct standin *s);
static int wait_events(const struct standin *s, const sigset_t *waitmask);

/* Print "wdstandin: " FMT (and strerror when errno is set) on stderr; exit 1. */
static void
die(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	fprintf(stderr, "wdstandin: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (saved != 0)
		fprintf(stderr, ": %s", strerror(saved));
	fprintf(stderr, "\n");
	exit(1);
}

/* The time on CLOCK in nanoseconds. */
static int64_t
now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* Append one line for EVENT (DETAIL may be NULL) with a single write. */
static void
record(const struct standin *s, const char *event, const char *detail)
{
	char line[512];
	int fd, n;

	n = snprintf(line, sizeof(line), "%lld %s %s%s%s\n", (long long)now_ns(CLOCK_REALTIME),
	    s->id, event, detail != NULL ? " " : "", detail != NULL ? detail : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		die("line too long for %s", event);
	if ((fd = open(s->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) == -1)
		die("open %s", s->log);
	if (write(fd, line, (size_t)n) != n)
		die("write %s", s->log);
	close(fd);
}

/* SIGTERM, SIGINT: leave the loop. */
static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * Catch SIGTERM and SIGINT, blocked except inside ppoll() (WAITMASK), so that
 * one arriving between a check and the wait is not lost.
 */
static void
catch_stop(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t stop;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (sigprocmask(SIG_BLOCK, &stop, waitmask) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 || sigaction(SIGINT, &sa, NULL) == -1)
		die("signals");
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGINT);
}

/* Make the FIFO at PATH unless there is one; anything else there is an error. */
static void
make_fifo(const char *path)
{
	struct stat st;

	if (mkfifo(path, 0600) == 0)
		return;
	if (errno != EEXIST)
		die("mkfifo %s", path);
	if (stat(path, &st) == -1)
		die("stat %s", path);
	if (!S_ISFIFO(st.st_mode)) {
		errno = 0;
		die("%s exists and is not a FIFO", path);
	}
}

/* Read what was written: every chunk is a kick; note whether 'V' came last. */
static void
drain(struct standin *s)
{
	char buf[4096];
	ssize_t n, i;

	while ((n = read(s->rfd, buf, sizeof(buf))) > 0) {
		if (s->armed)
			s->last_kick = now_ns(CLOCK_MONOTONIC);	/* before the line's time */
		for (i = 0; i < n && buf[i] == 'V'; i++)
			;
		if (i < n)
			record(s, "kick", NULL);
		s->magic = buf[n - 1] == 'V';
	}
	if (n == -1 && errno != EAGAIN && errno != EINTR)
		die("read %s", s->fifo);
}

/* A writer opened the device: armed, and the open is the first kick. */
static void
on_open(struct standin *s)
{
	s->last_kick = now_ns(CLOCK_MONOTONIC);	/* before the line's time */
	s->armed = true;
	s->magic = false;
	record(s, "open", NULL);
}

/* The writer closed: disarmed if 'V' came last, else the deadline stands. */
static void
on_close(struct standin *s)
{
	drain(s);
	record(s, s->magic ? "magic-close" : "close-armed", s->armed ? NULL : "disarmed");
	if (s->magic)
		s->armed = false;
	s->magic = false;
}

/* Handle what inotify reports, in order. */
static void
on_events(struct standin *s)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n, off;

	if ((n = read(s->ifd, buf, sizeof(buf))) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		die("read inotify");
	}
	for (off = 0; off < n; off += (ssize_t)(sizeof(*ev) + ev->len)) {
		ev = (const struct inotify_event *)(buf + off);
		if (ev->mask & IN_Q_OVERFLOW) {
			errno = 0;
			die("inotify queue overflow: events lost");
		}
		if (ev->mask & IN_OPEN)
			on_open(s);
		if (ev->mask & IN_MODIFY)
			drain(s);
		if (ev->mask & IN_CLOSE_WRITE)
			on_close(s);
	}
}

/* Armed and the deadline passed: the host would be reset now. */
static void
check_reset(struct standin *s)
{
	char detail[32];
	int64_t since;

	if (!s->armed)
		return;
	since = now_ns(CLOCK_MONOTONIC) - s->last_kick;
	if (since < s->timeout_ns)
		return;
	snprintf(detail, sizeof(detail), "%lld", (long long)(since / NS_PER_MS));
	record(s, "reset", detail);
	s->armed = false;
}

/* Wait for inotify until the deadline (forever when disarmed): ppoll's answer. */
static int
wait_events(const struct standin *s, const sigset_t *waitmask)
{
	struct pollfd pfd = { .fd = s->ifd, .events = POLLIN };
	struct timespec ts, *tsp = NULL;
	int64_t left;

	if (s->armed) {
		left = s->last_kick + s->timeout_ns - now_ns(CLOCK_MONOTONIC);
		if (left < 0)
			left = 0;
		ts.tv_sec = (time_t)(left / NS_PER_S);
		ts.tv_nsec = (long)(left % NS_PER_S);
		tsp = &ts;
	}
	return ppoll(&pfd, 1, tsp, waitmask);
}

int
main(int argc, char *argv[])
{
	struct standin s;
	sigset_t waitmask;
	char *end;
	long long ms;
	int n;

	if (argc != 5) {
		fprintf(stderr, "usage: wdstandin FIFO TIMEOUT_MS LOG ID\n");
		return 2;
	}
	memset(&s, 0, sizeof(s));
	s.fifo = argv[1];
	s.log = argv[3];
	s.id = argv[4];
	errno = 0;
	ms = strtoll(argv[2], &end, 10);
	if (errno != 0 || end == argv[2] || *end != '\0' || ms <= 0 || ms > INT64_MAX / NS_PER_MS)
		die("bad TIMEOUT_MS %s", argv[2]);
	s.timeout_ns = ms * NS_PER_MS;
	catch_stop(&waitmask);
	make_fifo(s.fifo);
	if ((s.rfd = open(s.fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		die("open %s", s.fifo);
	if ((s.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(s.ifd, s.fifo, IN_OPEN | IN_MODIFY | IN_CLOSE_WRITE) == -1)
		die("inotify on %s", s.fifo);
	record(&s, "ready", NULL);
	while (!stopping) {
		n = wait_events(&s, &waitmask);
		if (n == -1 && errno != EINTR)
			die("ppoll");
		check_reset(&s);
		if (n > 0)
			on_events(&s);
	}
	return 0;
}
