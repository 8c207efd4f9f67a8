/*
 * fake_hook: the hook.h surface with no child processes, for the unit tests of
 * the role module. Every run asked for is recorded with its event and
 * environment; the test ends it with the result it chooses.
 */
#ifndef ZKELECT_FAKE_HOOK_H
#define ZKELECT_FAKE_HOOK_H

#include <stdbool.h>

#include "hook.h"

struct hook {
	char *name;		/* "promote", "demote", "follow", "health" */
	char **env;
	hook_done_fn *done;
	void *arg;
	bool stopped, killed, detached;
	struct hook *next;
};

/* The oldest run of NAME not yet ended, or NULL. */
struct hook *fh_running(const char *name);
/* How many runs of NAME were asked for since the last fh_reset. */
int fh_count(const char *name);
/* The value of VAR in run H's environment ("" when absent). */
const char *fh_env(const struct hook *h, const char *var);
/* End run H: exit status STATUS (0 ok), or stopped when it was stopped or killed. */
void fh_end(struct hook *h, int status);
/* Every run asked for, in order, "name(REASON) " each. */
const char *fh_story(void);
void fh_reset(void);

#endif
