/* fake_hook: the hook.h surface with no child processes (see fake_hook.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_hook.h"
#include "xmalloc.h"

static struct hook *runs;	/* not yet ended, oldest first */
static char story[4096];
static struct { char name[16]; int n; } counts[8];

static void count(const char *name);
static void run_free(struct hook *h);

struct hook *
hook_run(const char *name, char *const argv[], char *const envp[], int64_t timeout_ms,
    const struct run_as *as, hook_done_fn *done, void *arg)
{
	struct hook *h = xcalloc(1, sizeof(*h)), **pp;
	size_t n = 0, off = strlen(story);

	(void)argv;
	(void)timeout_ms;
	(void)as;
	h->name = xstrdup(name);
	while (envp != NULL && envp[n] != NULL)
		n++;
	h->env = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		h->env[i] = xstrdup(envp[i]);
	h->done = done;
	h->arg = arg;
	for (pp = &runs; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = h;
	count(name);
	if (strcmp(name, "health") != 0)
		snprintf(story + off, sizeof(story) - off, "%s(%s) ", name,
		    fh_env(h, "ZKELECT_REASON"));
	return h;
}

void
hook_stop(struct hook *h)
{
	h->stopped = true;
}

void
hook_kill(struct hook *h)
{
	h->killed = true;
}

void
hook_quiet(struct hook *h)
{
	(void)h;
}

void
hook_detach(struct hook *h)
{
	h->detached = true;
	h->done = NULL;
}

pid_t
hook_pid(const struct hook *h)
{
	(void)h;
	return 4242;
}

const char *
hook_name(const struct hook *h)
{
	return h->name;
}

/* --- what the test drives --- */

static void
count(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]) && counts[i].name[0]; i++)
		if (strcmp(counts[i].name, name) == 0)
			break;
	if (i == sizeof(counts) / sizeof(counts[0]))
		return;
	snprintf(counts[i].name, sizeof(counts[i].name), "%s", name);
	counts[i].n++;
}

int
fh_count(const char *name)
{
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]) && counts[i].name[0]; i++)
		if (strcmp(counts[i].name, name) == 0)
			return counts[i].n;
	return 0;
}

struct hook *
fh_running(const char *name)
{
	for (struct hook *h = runs; h != NULL; h = h->next)
		if (strcmp(h->name, name) == 0)
			return h;
	return NULL;
}

const char *
fh_env(const struct hook *h, const char *var)
{
	size_t len = strlen(var);

	for (char **e = h->env; *e != NULL; e++)
		if (strncmp(*e, var, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	return "";
}

void
fh_end(struct hook *h, int status)
{
	struct hook_result res;
	struct hook **pp;

	for (pp = &runs; *pp != NULL && *pp != h; pp = &(*pp)->next)
		;
	if (*pp != NULL)
		*pp = h->next;
	memset(&res, 0, sizeof(res));
	res.stopped = h->stopped || h->killed;
	res.ok = status == 0 && !res.stopped;
	res.wstatus = status << 8;
	if (res.stopped)
		snprintf(res.status, sizeof(res.status), "stopped");
	else
		snprintf(res.status, sizeof(res.status), "exit %d", status);
	if (h->done != NULL)
		h->done(h->arg, &res);
	run_free(h);
}

const char *
fh_story(void)
{
	return story;
}

static void
run_free(struct hook *h)
{
	for (char **e = h->env; *e != NULL; e++)
		free(*e);
	free(h->env);
	free(h->name);
	free(h);
}

void
fh_reset(void)
{
	struct hook *h;

	while ((h = runs) != NULL) {
		runs = h->next;
		run_free(h);
	}
	story[0] = '\0';
	memset(counts, 0, sizeof(counts));
}
