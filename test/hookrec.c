/*
 * hookrec: the hook the integration tests and the benchmark configure. It
 * appends one record to DIR/hooks.log as its very first action and one when it
 * ends, so even a run that is stopped at once leaves its start behind:
 *
 *   <ns since the epoch> <id> <event> start|end <epoch> <reason> <role>
 *
 * ("-" for an empty value). The tests read these fields by the names test/lib.sh
 * gives them in HOOK_FIELDS: a new field is appended here and named there (and,
 * for the fault runs, taught to test/check_invariants.py).
 * Knobs, read from DIR/<id>/NAME or else DIR/NAME:
 * HOOK_SLEEP_<event> (seconds, may have a fraction) sleeps before the end;
 * HOOK_EXIT_<event> is the exit status.
 *
 *   hookrec DIR EVENT      (the daemon appends EVENT to the configured words)
 *   DIR/hook.sh EVENT      (a link to hookrec: DIR is where the link is)
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *dir;

static const char *env(const char *name);
static void record(const char *phase, const char *event);
static int knob(const char *id, const char *name, const char *event, char *buf, size_t len);

/* An environment value, or "-" when unset or empty. */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : "-";
}

/* Append one record with a single write, so records from many hooks never mix. */
static void
record(const char *phase, const char *event)
{
	char path[4096], line[1024];
	struct timespec ts;
	int fd, n;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(line, sizeof(line), "%lld%09ld %s %s %s %s %s %s\n", (long long)ts.tv_sec,
	    ts.tv_nsec, env("ZKELECT_ID"), event, phase, env("ZKELECT_EPOCH"),
	    env("ZKELECT_REASON"), env("ZKELECT_ROLE"));
	snprintf(path, sizeof(path), "%s/hooks.log", dir);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) == -1)
		return;
	(void)!write(fd, line, (size_t)n);
	close(fd);
}

/* Read knob NAME_EVENT for ID into BUF; 0 when it is set. */
static int
knob(const char *id, const char *name, const char *event, char *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s_%s", dir, id, name, event);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(path, sizeof(path), "%s/%s_%s", dir, name, event);
		if ((f = fopen(path, "r")) == NULL)
			return -1;
	}
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *event;
	char buf[64];
	int status = 0;

	if (argc < 2)
		return 2;
	dir = argc == 2 ? dirname(strdup(argv[0])) : argv[1];	/* dirname writes */
	event = argv[argc - 1];
	record("start", event);
	if (knob(env("ZKELECT_ID"), "HOOK_SLEEP", event, buf, sizeof(buf)) == 0) {
		double s = atof(buf);
		struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

		while (nanosleep(&ts, &ts) == -1)
			;
	}
	if (knob(env("ZKELECT_ID"), "HOOK_EXIT", event, buf, sizeof(buf)) == 0)
		status = atoi(buf);
	record("end", event);
	return status;
}
