/*
 * hook_command: the commands the hooks and the health check run (split from
 * the configuration, copied, compared, turned into an argv) and the check that
 * nobody but root (or the hooks' user) could change what root runs. Part of
 * the hook module (hook.h); config.c calls it when it loads a file.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hook.h"
#include "xmalloc.h"

static void report(command_report_fn *rep, void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void check_owner_mode(const char *path, const struct stat *st, const struct run_as *as,
    const char *as_name, command_report_fn *rep, void *arg);
static void check_dirs(const char *path, command_report_fn *rep, void *arg);

void
command_split(const char *s, struct command *cmd)
{
	const char *w;
	size_t n;

	cmd->argv = NULL;
	cmd->argc = 0;
	cmd->line = 0;
	for (;;) {
		s += strspn(s, " \t");
		if (*s == '\0')
			break;
		w = s;
		n = strcspn(s, " \t");
		s += n;
		cmd->argv = xrealloc(cmd->argv, (size_t)(cmd->argc + 2) * sizeof(*cmd->argv));
		cmd->argv[cmd->argc++] = xstrndup(w, n);
		cmd->argv[cmd->argc] = NULL;
	}
}

void
command_free(struct command *cmd)
{
	if (cmd->argv != NULL) {
		for (int i = 0; i < cmd->argc; i++)
			free(cmd->argv[i]);
		free(cmd->argv);
	}
	cmd->argv = NULL;
	cmd->argc = 0;
}

char **
command_argv(const struct command *cmd, const char *last)
{
	char **argv = xcalloc((size_t)cmd->argc + 2, sizeof(char *));
	int i;

	for (i = 0; i < cmd->argc; i++)
		argv[i] = xstrdup(cmd->argv[i]);
	argv[i] = xstrdup(last);
	return argv;
}

void
command_copy(struct command *dst, const struct command *src)
{
	dst->argc = src->argc;
	dst->line = src->line;
	dst->argv = NULL;
	if (src->argv == NULL)
		return;
	dst->argv = xcalloc((size_t)src->argc + 1, sizeof(*dst->argv));
	for (int i = 0; i < src->argc; i++)
		dst->argv[i] = xstrdup(src->argv[i]);
}

bool
command_equal(const struct command *a, const struct command *b)
{
	if (a->argc != b->argc || (a->argv == NULL) != (b->argv == NULL))
		return false;
	if (a->argv == NULL)
		return true;
	for (int i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]) != 0)
			return false;
	return true;
}


/* Format a problem and hand it to REP. */
static void
report(command_report_fn *rep, void *arg, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rep(arg, msg);
}

void
command_check(const struct command *cmd, const struct run_as *as, const char *as_name,
    command_report_fn *rep, void *arg)
{
	struct stat st;

	if (cmd->argv == NULL)
		return;
	if (stat(cmd->argv[0], &st) != 0)
		report(rep, arg, "%s: %s", cmd->argv[0], strerror(errno));
	else if (!S_ISREG(st.st_mode))
		report(rep, arg, "%s is not a regular file", cmd->argv[0]);
	else if (access(cmd->argv[0], X_OK) != 0)
		report(rep, arg, "%s is not executable", cmd->argv[0]);
	else if (geteuid() == 0) {
		/* like keepalived's script security: nobody but root may change what root runs */
		char real[PATH_MAX];

		check_owner_mode(cmd->argv[0], &st, as, as_name, rep, arg);
		check_dirs(cmd->argv[0], rep, arg);
		if (realpath(cmd->argv[0], real) != NULL && strcmp(real, cmd->argv[0]) != 0)
			check_dirs(real, rep, arg);
	}
}

/* A program run by root must belong to root (or the hooks' user) and be writable by no one else. */
static void
check_owner_mode(const char *path, const struct stat *st, const struct run_as *as,
    const char *as_name, command_report_fn *rep, void *arg)
{
	const char *who = as != NULL ? as_name : "root";

	if (st->st_uid != 0 && (as == NULL || st->st_uid != as->uid))
		report(rep, arg, "%s belongs to uid %ld, not root: whoever owns it could run "
		    "anything as %s (chown root)", path, (long)st->st_uid, who);
	else if ((st->st_mode & S_IWOTH) || ((st->st_mode & S_IWGRP) && st->st_gid != 0))
		report(rep, arg, "%s is writable by %s: anyone there could run anything as %s "
		    "(chmod go-w %s)", path, (st->st_mode & S_IWOTH) ? "others" : "its group", who,
		    path);
}

/* No directory on the way to PATH may let others replace it (writable, no sticky bit). */
static void
check_dirs(const char *path, command_report_fn *rep, void *arg)
{
	char *dir = xstrdup(path), *slash;
	struct stat st;

	while ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (stat(dir[0] != '\0' ? dir : "/", &st) == 0 && (st.st_mode & S_IWOTH) &&
		    !(st.st_mode & S_ISVTX)) {
			report(rep, arg, "%s lies in %s, which others may write to (no sticky bit): "
			    "anyone could replace it (chmod o-w %s)", path, dir[0] != '\0' ? dir : "/",
			    dir[0] != '\0' ? dir : "/");
			break;
		}
		if (dir[0] == '\0')
			break;
	}
	free(dir);
}
