/*
 * hopbench: what libzookeeper_mt's threads cost a handover, measured against
 * the single-threaded library (libzookeeper_st) doing the same requests
 * (issue 15, criterion 4; test/hopbench.sh builds and runs both).
 *
 *   hopbench HOSTS PATH N
 *
 * Session A deletes a znode that session B watches, as an old leader leaves;
 * B, once it sees the notification on its own thread, sends the listing and
 * the ownership check together, as src/election.c does. Per round, one line:
 * delete sent -> B's thread sees the notification, and -> both answers seen
 * (ns).
 *
 * Built with THREADED (libzookeeper_mt), the main thread plays the daemon's
 * event loop: completions and watches run on the library's completion thread
 * and reach it through an eventfd, as src/zk.c does; requests go to the
 * library's I/O thread through its pipe. Built without (libzookeeper_st), the
 * main thread polls both sessions' sockets itself: no thread, no hop.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <zookeeper/zookeeper.h>

static int efd = -1;		/* THREADED: what the completion thread signals */
static volatile int done_count;	/* answers seen, but B's list and exists */
static volatile int b_answers;	/* B's list and exists answered */
static volatile int notified;
static volatile int connected;

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Tell the main thread something happened (THREADED: through the eventfd). */
static void
signal_main(void)
{
#ifdef THREADED
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		abort();
#endif
}

static void
session_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	(void)zh;
	(void)path;
	(void)ctx;
	if (type == ZOO_SESSION_EVENT && state == ZOO_CONNECTED_STATE) {
		connected++;
		signal_main();
	}
}

static void
node_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	(void)zh;
	(void)state;
	(void)path;
	(void)ctx;
	if (type == ZOO_DELETED_EVENT) {
		notified = 1;
		signal_main();
	}
}

/* An answer: DATA is the counter it adds to (NULL: done_count). */
static void
any_done(int rc, const void *data)
{
	volatile int *count = data != NULL ? (volatile int *)(uintptr_t)data : &done_count;

	(void)rc;
	(*count)++;
	signal_main();
}

static void
stat_done(int rc, const struct Stat *st, const void *data)
{
	(void)st;
	any_done(rc, data);
}

static void
data_done(int rc, const char *v, int len, const struct Stat *st, const void *data)
{
	(void)v;
	(void)len;
	(void)st;
	any_done(rc, data);
}

static void
kids_done(int rc, const struct String_vector *kids, const void *data)
{
	(void)kids;
	any_done(rc, data);
}

static void
string_done(int rc, const char *s, const void *data)
{
	(void)s;
	any_done(rc, data);
}

/* Run until *FLAG reaches WANT (the main thread's only way to learn anything). */
static void
wait_for(zhandle_t *a, zhandle_t *b, volatile int *flag, int want)
{
#ifdef THREADED
	uint64_t n;

	(void)a;
	(void)b;
	while (*flag < want)
		if (read(efd, &n, sizeof(n)) == -1 && errno != EINTR)
			abort();
#else
	zhandle_t *zh[2] = { a, b };
	struct pollfd pfd[2];
	int fd, interest, nfds, ms;
	struct timeval tv;

	while (*flag < want) {
		ms = 1000;
		nfds = 0;
		for (int i = 0; i < 2; i++) {
			pfd[i].fd = -1;
			pfd[i].events = 0;
			pfd[i].revents = 0;
			if (zookeeper_interest(zh[i], &fd, &interest, &tv) != ZOK || fd < 0)
				continue;
			pfd[i].fd = fd;
			pfd[i].events = (short)((interest & ZOOKEEPER_READ ? POLLIN : 0) |
			    (interest & ZOOKEEPER_WRITE ? POLLOUT : 0));
			if (tv.tv_sec * 1000 + tv.tv_usec / 1000 < ms)
				ms = (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
			nfds = i + 1;
		}
		if (poll(pfd, (nfds_t)nfds, ms) < 0 && errno != EINTR)
			abort();
		for (int i = 0; i < nfds; i++) {
			interest = (pfd[i].revents & POLLIN ? ZOOKEEPER_READ : 0) |
			    (pfd[i].revents & (POLLOUT | POLLHUP) ? ZOOKEEPER_WRITE : 0);
			zookeeper_process(zh[i], interest);
		}
	}
#endif
}

int
main(int argc, char *argv[])
{
	char pred[512], own[512];
	zhandle_t *a, *b;
	int n, base;
	int64_t t0, t1;

	if (argc != 4 || (n = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: hopbench HOSTS PATH N\n");
		return 2;
	}
	zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
	if ((efd = eventfd(0, EFD_CLOEXEC)) == -1)
		return 1;
	a = zookeeper_init(argv[1], session_watcher, 10000, NULL, NULL, 0);
	b = zookeeper_init(argv[1], session_watcher, 10000, NULL, NULL, 0);
	if (a == NULL || b == NULL)
		return 1;
	wait_for(a, b, &connected, 2);
	base = done_count;
	zoo_acreate(a, argv[2], "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, string_done, NULL);
	wait_for(a, b, &done_count, base + 1);
	snprintf(own, sizeof(own), "%s/b", argv[2]);
	snprintf(pred, sizeof(pred), "%s/a", argv[2]);
	base = done_count;
	zoo_acreate(b, own, "b", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, string_done, NULL);
	wait_for(a, b, &done_count, base + 1);
	for (int i = 0; i < n; i++) {
		base = done_count;
		notified = 0;
		zoo_acreate(a, pred, "a", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, string_done, NULL);
		wait_for(a, b, &done_count, base + 1);
		zoo_awget(b, pred, node_watcher, NULL, data_done, NULL);
		wait_for(a, b, &done_count, base + 2);
		usleep(20000);	/* both sides idle, as before a handover */
		t0 = now_ns();
		zoo_adelete(a, pred, -1, any_done, NULL);
		wait_for(a, b, &notified, 1);
		t1 = now_ns();
		b_answers = 0;
		zoo_aget_children(b, argv[2], 0, kids_done, (const void *)&b_answers);
		zoo_aexists(b, own, 0, stat_done, (const void *)&b_answers);
		wait_for(a, b, &b_answers, 2);
		printf("%lld %lld\n", (long long)(t1 - t0), (long long)(now_ns() - t0));
		fflush(stdout);
		wait_for(a, b, &done_count, base + 3);	/* the delete's answer, if still due */
	}
	zookeeper_close(a);
	zookeeper_close(b);
	return 0;
}
