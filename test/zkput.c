/*
 * zkput: create and write znodes behind the daemons' backs, for the bad-input
 * tests (garbage children, foreign contenders, oversized or forged data).
 *
 *   zkput [-w] HOSTS OP PATH DATA [OP PATH DATA ...]
 *
 * OP is create (persistent), seq (persistent sequential), eseq (ephemeral
 * sequential), set (replace the data of an existing node) or mkpath (create
 * PATH and its missing parents, empty, persistent; DATA is ignored). DATA is the
 * bytes given, or with a leading '@' the whole content of that file ('@'
 * alone: no data at all). Each created node is printed as "PATH CZXID", in
 * order. With -w, zkput then waits for SIGTERM or SIGINT before closing its
 * session, so its ephemeral nodes live until then. Exit 0, or 1 with the
 * error of the first operation that failed.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zookeeper/zookeeper.h>

#define PATH_MAX_LEN 4096

static volatile sig_atomic_t stop_now;

static void on_stop(int sig);
static char *read_data(const char *arg, int *len);
static int do_op(zhandle_t *zh, const char *op, const char *path, const char *arg);
static int make_path(zhandle_t *zh, const char *path);
static zhandle_t *connect_to(const char *hosts);
static void hold(void);

/* SIGTERM/SIGINT with -w: leave the wait. */
static void
on_stop(int sig)
{
	(void)sig;
	stop_now = 1;
}

/* The bytes DATA stands for (see above) in a malloc'd buffer; NULL with *LEN -1 for none. */
static char *
read_data(const char *arg, int *len)
{
	FILE *f;
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (arg[0] != '@') {
		*len = (int)strlen(arg);
		return strdup(arg);
	}
	*len = -1;
	if (arg[1] == '\0')
		return NULL;
	if ((f = fopen(arg + 1, "rb")) == NULL) {
		perror(arg + 1);
		exit(1);
	}
	do {
		if (n == cap) {
			char *more = realloc(buf, cap = cap * 2 + 65536);

			if (more == NULL)
				exit(1);
			buf = more;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	*len = (int)n;
	return buf;
}

/* Run one operation; print what it created. A ZooKeeper error code. */
static int
do_op(zhandle_t *zh, const char *op, const char *path, const char *arg)
{
	char made[PATH_MAX_LEN];
	struct Stat st;
	int len, rc, flags;
	char *data;

	if (strcmp(op, "mkpath") == 0)
		return make_path(zh, path);
	data = read_data(arg, &len);
	if (strcmp(op, "set") == 0) {
		rc = zoo_set(zh, path, data, len, -1);
		free(data);
		return rc;
	}
	if (strcmp(op, "create") == 0)
		flags = ZOO_PERSISTENT;
	else if (strcmp(op, "seq") == 0)
		flags = ZOO_PERSISTENT_SEQUENTIAL;
	else if (strcmp(op, "eseq") == 0)
		flags = ZOO_EPHEMERAL_SEQUENTIAL;
	else {
		fprintf(stderr, "zkput: unknown operation %s\n", op);
		exit(2);
	}
	memset(&st, 0, sizeof(st));
	rc = zoo_create2(zh, path, data, len, &ZOO_OPEN_ACL_UNSAFE, flags, made,
	    sizeof(made), &st);
	free(data);
	if (rc == ZOK)
		printf("%s %lld\n", made, (long long)st.czxid);
	return rc;
}

/* Create PATH and each missing parent (persistent, no data); ZOK when it exists after. */
static int
make_path(zhandle_t *zh, const char *path)
{
	char part[PATH_MAX_LEN];
	const char *slash = path;
	int rc = ZOK;

	while (rc == ZOK && (slash = strchr(slash + 1, '/')) != NULL) {
		snprintf(part, sizeof(part), "%.*s", (int)(slash - path), path);
		if ((rc = zoo_create(zh, part, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0)) ==
		    ZNODEEXISTS)
			rc = ZOK;
	}
	if (rc == ZOK && (rc = zoo_create(zh, path, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL,
	    0)) == ZNODEEXISTS)
		rc = ZOK;
	return rc;
}

/* Open a session to HOSTS and wait (up to 10 s) until it is connected. */
static zhandle_t *
connect_to(const char *hosts)
{
	zhandle_t *zh;

	zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
	if ((zh = zookeeper_init(hosts, NULL, 10000, NULL, NULL, 0)) == NULL) {
		perror("zkput: zookeeper_init");
		exit(1);
	}
	for (int i = 0; zoo_state(zh) != ZOO_CONNECTED_STATE && i < 1000; i++)
		usleep(10000);
	return zh;
}

/* -w: keep the session (and its ephemeral nodes) until SIGTERM or SIGINT. */
static void
hold(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fflush(stdout);
	while (!stop_now)
		pause();
}

int
main(int argc, char *argv[])
{
	zhandle_t *zh;
	int rc = ZOK, i = 1;
	bool wait_after = false;

	if (argc > 1 && strcmp(argv[1], "-w") == 0) {
		wait_after = true;
		i++;
	}
	if (argc - i < 4 || (argc - i - 1) % 3 != 0) {
		fprintf(stderr, "usage: zkput [-w] HOSTS create|seq|eseq|set|mkpath PATH DATA|@FILE ...\n");
		return 2;
	}
	zh = connect_to(argv[i]);
	for (i++; i + 2 < argc && rc == ZOK; i += 3)
		if ((rc = do_op(zh, argv[i], argv[i + 1], argv[i + 2])) != ZOK)
			fprintf(stderr, "zkput: %s %s: %s\n", argv[i], argv[i + 1], zerror(rc));
	if (rc == ZOK && wait_after)
		hold();
	zookeeper_close(zh);
	return rc == ZOK ? 0 : 1;
}
