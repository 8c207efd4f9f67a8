/*
 * spawnbench: the timers test/bench.sh needs beside the daemons. Every time
 * is CLOCK_REALTIME in ns, the clock test/hookrec.c records with, so figures
 * from different processes can be subtracted.
 *
 *   spawnbench spawn N DIR          posix_spawn DIR/hook.sh (a link to hookrec) N times
 *                                   with the attributes src/hook.c uses; print, one per
 *                                   line, the ns from the call to the hook's first
 *                                   instruction (its record in DIR/hooks.log)
 *   spawnbench exec FILE CMD ARG..  write the time to FILE, then exec CMD (process start)
 *   spawnbench watch HOSTS PATH FILE  wait for PATH's deletion (FILE.armed once the
 *                                   watch is set); write the time it was delivered to FILE
 *   spawnbench floor HOSTS PATH N   ZooKeeper's own part of a graceful handover, N times:
 *                                   session A deletes its znode while session B watches it;
 *                                   B then lists PATH and checks its own znode, as a
 *                                   successor does. Per line: delete sent -> B notified,
 *                                   delete sent -> B's list and exists answered (ns)
 *   spawnbench least HOSTS PATH N DIR MS  the least a graceful handover that starts its
 *                                   hook as a process can take, in one sequence, N times:
 *                                   as floor, but after MS of quiet, with the list and the
 *                                   exists sent together (as the daemon sends them), then
 *                                   DIR/hook.sh spawned as by spawn. Per line: delete sent
 *                                   -> the hook's first instruction (ns)
 *   spawnbench join HOSTS PATH N    ZooKeeper's own part of a cold start, N times: open a
 *                                   session, create an ephemeral sequential znode under
 *                                   PATH, list PATH, check the znode. Per line: start ->
 *                                   connected, start -> exists answered (ns)
 *   spawnbench idle HOSTS MS SECS   hold one session (timeout MS) for SECS seconds: the
 *                                   footprint of a bare ZooKeeper C client
 */
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zookeeper/zookeeper.h>

#define CONNECT_MS	10000	/* give up on a session that does not come up */

static sem_t connected_sem, event_sem, answered_sem;
static volatile int64_t event_ns;	/* when the last watched event arrived */
static volatile int event_type;

static int64_t now_ns(void);
static void die(const char *what);
static int usage(void);
static int cmd_spawn(int argc, char *argv[]);
static int64_t spawn_one(const char *hook, char *const envp[]);
static int print_starts(const char *dir, int64_t *t0, int n);
static int read_starts(const char *dir, int64_t *starts, int n);
static int cmd_exec(int argc, char *argv[]);
static int cmd_watch(int argc, char *argv[]);
static int cmd_floor(int argc, char *argv[]);
static int two_sessions(const char *hosts, const char *path, zhandle_t **a, zhandle_t **b,
    char *own_b, size_t len);
static int floor_round(zhandle_t *a, zhandle_t *b, const char *path, const char *own_b);
static int64_t delete_watched(zhandle_t *a, zhandle_t *b, const char *path, int idle_ms);
static int cmd_least(int argc, char *argv[]);
static int64_t least_round(zhandle_t *a, zhandle_t *b, const char *path, const char *own_b,
    const char *hook, char *const envp[], int idle_ms);
static void listed(int rc, const struct String_vector *kids, const void *data);
static void answered(int rc, const struct Stat *st, const void *data);
static void hook_env(char *home, size_t len, const char *dir, char *envp[8]);
static void nap_ms(int ms);
static int cmd_join(int argc, char *argv[]);
static int join_round(const char *hosts, const char *path);
static int cmd_idle(int argc, char *argv[]);
static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx);
static void ignore_done(int rc, const void *data);
static zhandle_t *session(const char *hosts, int timeout_ms);
static void wait_sem(sem_t *s, int ms);
static void write_file(const char *path, const char *text);

/* The realtime clock in ns. */
static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Print WHAT with errno's text and exit 1. */
static void
die(const char *what)
{
	fprintf(stderr, "spawnbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Print the usage and return the exit status for it. */
static int
usage(void)
{
	fprintf(stderr, "usage: spawnbench spawn N DIR | exec FILE CMD [ARG...] |"
	    " watch HOSTS PATH FILE | floor HOSTS PATH N | least HOSTS PATH N DIR MS |"
	    " join HOSTS PATH N |"
	    " idle HOSTS MS SECS\n");
	return 2;
}

int
main(int argc, char *argv[])
{
	if (argc < 2)
		return usage();
	zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
	sem_init(&connected_sem, 0, 0);
	sem_init(&event_sem, 0, 0);
	sem_init(&answered_sem, 0, 0);
	if (strcmp(argv[1], "spawn") == 0)
		return cmd_spawn(argc - 2, argv + 2);
	if (strcmp(argv[1], "exec") == 0)
		return cmd_exec(argc - 2, argv + 2);
	if (strcmp(argv[1], "watch") == 0)
		return cmd_watch(argc - 2, argv + 2);
	if (strcmp(argv[1], "floor") == 0)
		return cmd_floor(argc - 2, argv + 2);
	if (strcmp(argv[1], "least") == 0)
		return cmd_least(argc - 2, argv + 2);
	if (strcmp(argv[1], "join") == 0)
		return cmd_join(argc - 2, argv + 2);
	if (strcmp(argv[1], "idle") == 0)
		return cmd_idle(argc - 2, argv + 2);
	return usage();
}

/* --- spawn --- */

/* spawn N DIR: time N spawns of DIR/hook.sh, one after the other. */
static int
cmd_spawn(int argc, char *argv[])
{
	char hook[4096], home[4200], *envp[8];
	int64_t *t0;
	int n, i;

	if (argc != 2 || (n = atoi(argv[0])) <= 0)
		return usage();
	snprintf(hook, sizeof(hook), "%s/hook.sh", argv[1]);
	hook_env(home, sizeof(home), argv[1], envp);
	if ((t0 = calloc((size_t)n, sizeof(*t0))) == NULL)
		die("calloc");
	for (i = 0; i < n; i++)
		t0[i] = spawn_one(hook, envp);
	return print_starts(argv[1], t0, n);
}

/*
 * Print, one per line, T0[i] -> the i-th start the hook recorded in DIR/hooks.log
 * (ns), for N spawns; frees T0. Returns the exit status.
 */
static int
print_starts(const char *dir, int64_t *t0, int n)
{
	int64_t *start = calloc((size_t)n, sizeof(*start));
	int i, got;

	if (start == NULL)
		die("calloc");
	if ((got = read_starts(dir, start, n)) != n)
		fprintf(stderr, "spawnbench: fewer than %d start records in %s/hooks.log\n", n, dir);
	for (i = 0; got == n && i < n; i++)
		printf("%lld\n", (long long)(start[i] - t0[i]));
	free(t0);
	free(start);
	return got == n ? 0 : 1;
}

/* An environment the size of the daemon's for a hook in DIR (HOME is LEN bytes). */
static void
hook_env(char *home, size_t len, const char *dir, char *envp[8])
{
	snprintf(home, len, "HOME=%s", dir);
	envp[0] = (char *)(uintptr_t)"PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	envp[1] = home;
	envp[2] = (char *)(uintptr_t)"ZKELECT_EVENT=spawn";
	envp[3] = (char *)(uintptr_t)"ZKELECT_ID=spawnbench";
	envp[4] = (char *)(uintptr_t)"ZKELECT_ROLE=follower";
	envp[5] = (char *)(uintptr_t)"ZKELECT_REASON=startup";
	envp[6] = (char *)(uintptr_t)"ZKELECT_ELECTION_PATH=/zkelectd/spawnbench";
	envp[7] = NULL;
}

/*
 * One run as src/hook.c starts it (own process group, default signals, empty
 * mask, stdin /dev/null, stdout and stderr to a pipe, nothing else open);
 * waits for its exit and returns the time just before the spawn.
 */
static int64_t
spawn_one(const char *hook, char *const envp[])
{
	char *const argv[] = { (char *)(uintptr_t)hook, (char *)(uintptr_t)"spawn", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int64_t t0;
	pid_t pid;
	int fds[2], status;

	if (pipe2(fds, O_CLOEXEC) == -1)
		die("pipe2");
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	t0 = now_ns();
	errno = posix_spawn(&pid, hook, &fa, &attr, argv, envp);
	if (errno != 0)
		die(hook);
	close(fds[1]);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	close(fds[0]);
	return t0;
}

/* Read the first N start times the hook recorded in DIR/hooks.log; the count read. */
static int
read_starts(const char *dir, int64_t *starts, int n)
{
	char path[4200], line[1024];
	long long ns;
	FILE *f;
	int got = 0;

	snprintf(path, sizeof(path), "%s/hooks.log", dir);
	if ((f = fopen(path, "r")) == NULL)
		die(path);
	while (got < n && fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, " spawnbench spawn start ") != NULL &&
		    sscanf(line, "%lld", &ns) == 1)
			starts[got++] = ns;
	}
	fclose(f);
	return got;
}

/* --- exec --- */

/* exec FILE CMD ARG...: note the time, become CMD. */
static int
cmd_exec(int argc, char *argv[])
{
	char text[32];

	if (argc < 2)
		return usage();
	snprintf(text, sizeof(text), "%lld\n", (long long)now_ns());
	write_file(argv[0], text);
	execv(argv[1], argv + 1);
	die(argv[1]);
	return 1;
}

/* --- ZooKeeper --- */

/* The default watcher: the session coming up, and the one event we wait for. */
static void
watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	int64_t t = now_ns();

	(void)zh;
	(void)path;
	(void)ctx;
	if (type == ZOO_SESSION_EVENT) {
		if (state == ZOO_CONNECTED_STATE)
			sem_post(&connected_sem);
		return;
	}
	event_ns = t;
	event_type = type;
	sem_post(&event_sem);
}

/* The completion of a call whose answer we do not wait for. */
static void
ignore_done(int rc, const void *data)
{
	(void)rc;
	(void)data;
}

/* Open a session and wait until it is connected. */
static zhandle_t *
session(const char *hosts, int timeout_ms)
{
	zhandle_t *zh = zookeeper_init(hosts, watcher, timeout_ms, NULL, NULL, 0);

	if (zh == NULL)
		die("zookeeper_init");
	wait_sem(&connected_sem, CONNECT_MS);
	return zh;
}

/* Wait for S at most MS milliseconds; exit 1 on timeout. */
static void
wait_sem(sem_t *s, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	while (sem_timedwait(s, &ts) == -1) {
		if (errno != EINTR) {
			fprintf(stderr, "spawnbench: timed out after %d ms\n", ms);
			exit(1);
		}
	}
}

/* Write TEXT to PATH atomically (a temporary file, then rename). */
static void
write_file(const char *path, const char *text)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		die(tmp);
	fputs(text, f);
	if (fclose(f) != 0 || rename(tmp, path) == -1)
		die(path);
}

/* watch HOSTS PATH FILE: wait up to a minute for PATH's deletion; write when it arrived. */
static int
cmd_watch(int argc, char *argv[])
{
	char armed[4200], text[32];
	struct Stat st;
	zhandle_t *zh;
	int rc;

	if (argc != 3)
		return usage();
	zh = session(argv[0], 30000);
	if ((rc = zoo_exists(zh, argv[1], 1, &st)) != ZOK) {
		fprintf(stderr, "spawnbench: %s: %s\n", argv[1], zerror(rc));
		return 1;
	}
	snprintf(armed, sizeof(armed), "%s.armed", argv[2]);
	write_file(armed, "");
	do
		wait_sem(&event_sem, 60000);
	while (event_type != ZOO_DELETED_EVENT);
	snprintf(text, sizeof(text), "%lld\n", (long long)event_ns);
	write_file(argv[2], text);
	zookeeper_close(zh);
	return 0;
}

/* floor HOSTS PATH N: ZooKeeper's part of a handover, without any daemon. */
static int
cmd_floor(int argc, char *argv[])
{
	char own_b[1024];
	zhandle_t *a, *b;
	int n, i;

	if (argc != 3 || (n = atoi(argv[2])) <= 0)
		return usage();
	if (two_sessions(argv[0], argv[1], &a, &b, own_b, sizeof(own_b)) != 0)
		return 1;
	for (i = 0; i < n; i++)
		if (floor_round(a, b, argv[1], own_b) != 0)
			return 1;
	zookeeper_close(a);
	zookeeper_close(b);
	return 0;
}

/*
 * Sessions A and B on HOSTS, PATH created if need be, and B's own ephemeral
 * sequential znode under it (its path in OWN_B, LEN bytes). 0, or 1 on failure.
 */
static int
two_sessions(const char *hosts, const char *path, zhandle_t **a, zhandle_t **b, char *own_b,
    size_t len)
{
	int rc;

	*a = session(hosts, 10000);
	*b = session(hosts, 10000);
	rc = zoo_create(*a, path, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
	if (rc != ZOK && rc != ZNODEEXISTS) {
		fprintf(stderr, "spawnbench: create %s: %s\n", path, zerror(rc));
		return 1;
	}
	snprintf(own_b, len, "%s/b-", path);
	rc = zoo_create(*b, own_b, "b", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL | ZOO_SEQUENCE,
	    own_b, (int)len);
	if (rc != ZOK) {
		fprintf(stderr, "spawnbench: create %s: %s\n", own_b, zerror(rc));
		return 1;
	}
	return 0;
}

/*
 * One round: a delete that B watches, back to back; B, woken by the
 * notification, lists PATH and checks its own znode.
 */
static int
floor_round(zhandle_t *a, zhandle_t *b, const char *path, const char *own_b)
{
	struct String_vector kids;
	struct Stat st;
	int64_t t0;
	int rc;

	if ((t0 = delete_watched(a, b, path, 0)) < 0)
		return 1;
	if ((rc = zoo_get_children(b, path, 0, &kids)) != ZOK ||
	    (rc = zoo_exists(b, own_b, 1, &st)) != ZOK) {
		fprintf(stderr, "spawnbench: list or exists: %s\n", zerror(rc));
		return 1;
	}
	printf("%lld %lld\n", (long long)(event_ns - t0), (long long)(now_ns() - t0));
	deallocate_String_vector(&kids);
	return 0;
}

/*
 * A creates PATH/a and B watches it (a get with a watch, as a successor watches
 * its predecessor); after IDLE_MS of quiet A deletes it; wait until B is
 * notified. Returns the time the delete was sent, or -1.
 */
static int64_t
delete_watched(zhandle_t *a, zhandle_t *b, const char *path, int idle_ms)
{
	char pred[1024], buf[64];
	struct Stat st;
	int64_t t0;
	int len = sizeof(buf), rc;

	snprintf(pred, sizeof(pred), "%s/a", path);
	if ((rc = zoo_create(a, pred, "a", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, NULL, 0)) != ZOK ||
	    (rc = zoo_wget(b, pred, watcher, NULL, buf, &len, &st)) != ZOK) {
		fprintf(stderr, "spawnbench: %s: %s\n", pred, zerror(rc));
		return -1;
	}
	nap_ms(idle_ms);
	t0 = now_ns();
	if ((rc = zoo_adelete(a, pred, -1, ignore_done, NULL)) != ZOK) {
		fprintf(stderr, "spawnbench: delete %s: %s\n", pred, zerror(rc));
		return -1;
	}
	do
		wait_sem(&event_sem, 10000);
	while (event_type != ZOO_DELETED_EVENT);
	return t0;
}

/*
 * least HOSTS PATH N DIR MS: the least a graceful handover that spawns its hook
 * can take on this machine, as one sequence rather than the sum of floor and
 * spawn (each timed back to back, on a machine kept busy by the timing itself).
 */
static int
cmd_least(int argc, char *argv[])
{
	char own_b[1024], hook[4096], home[4200], *envp[8];
	int64_t *t0;
	zhandle_t *a, *b;
	int n, i, idle_ms;

	if (argc != 5 || (n = atoi(argv[2])) <= 0 || (idle_ms = atoi(argv[4])) < 0)
		return usage();
	snprintf(hook, sizeof(hook), "%s/hook.sh", argv[3]);
	hook_env(home, sizeof(home), argv[3], envp);
	if (two_sessions(argv[0], argv[1], &a, &b, own_b, sizeof(own_b)) != 0)
		return 1;
	if ((t0 = calloc((size_t)n, sizeof(*t0))) == NULL)
		die("calloc");
	for (i = 0; i < n; i++) {
		if ((t0[i] = least_round(a, b, argv[1], own_b, hook, envp, idle_ms)) < 0) {
			free(t0);
			return 1;
		}
	}
	zookeeper_close(a);
	zookeeper_close(b);
	return print_starts(argv[3], t0, n);
}

/*
 * One round: after IDLE_MS of quiet, a delete that B watches; B, notified,
 * sends the list and its own znode's exists together and, once both are
 * answered, spawns HOOK. Returns the time the delete was sent, or -1.
 */
static int64_t
least_round(zhandle_t *a, zhandle_t *b, const char *path, const char *own_b,
    const char *hook, char *const envp[], int idle_ms)
{
	int64_t t0;
	int rc;

	if ((t0 = delete_watched(a, b, path, idle_ms)) < 0)
		return -1;
	if ((rc = zoo_aget_children(b, path, 0, listed, NULL)) != ZOK ||
	    (rc = zoo_aexists(b, own_b, 1, answered, NULL)) != ZOK) {
		fprintf(stderr, "spawnbench: list or exists: %s\n", zerror(rc));
		return -1;
	}
	wait_sem(&answered_sem, 10000);	/* answers come in order: the list's came first */
	(void)spawn_one(hook, envp);
	return t0;
}

/* The list of least_round answered: nothing to do, the exists' answer follows. */
static void
listed(int rc, const struct String_vector *kids, const void *data)
{
	(void)rc;
	(void)kids;
	(void)data;
}

/* The exists of least_round answered. */
static void
answered(int rc, const struct Stat *st, const void *data)
{
	(void)rc;
	(void)st;
	(void)data;
	sem_post(&answered_sem);
}

/* Sleep MS milliseconds. */
static void
nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* join HOSTS PATH N: the requests of a cold start, without any daemon. */
static int
cmd_join(int argc, char *argv[])
{
	zhandle_t *zh;
	int n, i, rc;

	if (argc != 3 || (n = atoi(argv[2])) <= 0)
		return usage();
	zh = session(argv[0], 10000);
	rc = zoo_create(zh, argv[1], "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
	zookeeper_close(zh);
	if (rc != ZOK && rc != ZNODEEXISTS) {
		fprintf(stderr, "spawnbench: create %s: %s\n", argv[1], zerror(rc));
		return 1;
	}
	for (i = 0; i < n; i++)
		if (join_round(argv[0], argv[1]) != 0)
			return 1;
	return 0;
}

/*
 * One cold start's requests: connect, create our znode, list (the daemon sends
 * the watch on its own znode together with the list: no extra round trip),
 * then the ownership check of the lowest znode.
 */
static int
join_round(const char *hosts, const char *path)
{
	char own[1024];
	struct String_vector kids;
	struct Stat st;
	int64_t t0, t1;
	zhandle_t *zh;
	int rc;

	t0 = now_ns();
	zh = session(hosts, 10000);
	t1 = now_ns();
	snprintf(own, sizeof(own), "%s/j-", path);
	if ((rc = zoo_create(zh, own, "j", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL | ZOO_SEQUENCE,
	    own, sizeof(own))) != ZOK ||
	    (rc = zoo_get_children(zh, path, 0, &kids)) != ZOK ||
	    (rc = zoo_exists(zh, own, 1, &st)) != ZOK) {
		fprintf(stderr, "spawnbench: join: %s\n", zerror(rc));
		return 1;
	}
	printf("%lld %lld\n", (long long)(t1 - t0), (long long)(now_ns() - t0));
	deallocate_String_vector(&kids);
	zookeeper_close(zh);
	return 0;
}

/* idle HOSTS MS SECS: one session, nothing else, for SECS seconds. */
static int
cmd_idle(int argc, char *argv[])
{
	zhandle_t *zh;
	struct timespec ts = { 0, 0 };

	if (argc != 3)
		return usage();
	zh = session(argv[0], atoi(argv[1]));
	ts.tv_sec = atoi(argv[2]);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	zookeeper_close(zh);
	return 0;
}
