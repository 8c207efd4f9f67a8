/* fake_control: the control.h surface with no ZooKeeper (see fake_control.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fake_control.h"
#include "xmalloc.h"

struct control {
	struct control_callbacks cb;
	void *arg;
	bool have;
	struct switchover req;
	int32_t version;
};

struct fake_control_log fc;
static struct control *cur;

struct control *
control_new(struct zk *zk, const char *path, const struct control_callbacks *cb, void *arg)
{
	struct control *c = xcalloc(1, sizeof(*c));

	(void)zk;
	(void)path;
	c->cb = *cb;
	c->arg = arg;
	cur = c;
	return c;
}

void
control_free(struct control *c)
{
	if (c == cur)
		cur = NULL;
	free(c);
}

void
control_session(struct control *c, enum zk_event ev)
{
	(void)c;
	(void)ev;
}

void
control_on_watch(void *arg, int type, const char *path)
{
	(void)arg;
	(void)type;
	(void)path;
}

void
control_quiet(struct control *c)
{
	(void)c;
}

void
control_refresh(struct control *c)
{
	(void)c;
	fc.refreshes++;
}

void
control_watch_line(struct control *c, bool on)
{
	(void)c;
	fc.watch_line = on;
}

const struct switchover *
control_switchover(const struct control *c)
{
	return c->have ? &c->req : NULL;
}

int32_t
control_version(const struct control *c)
{
	return c->version;
}

void
control_switchover_write(struct control *c, const struct switchover *req, int32_t version)
{
	(void)c;
	(void)version;
	fc.writes++;
	fc.written = *req;
}

enum control_known
control_primary(const struct control *c, struct primary_record *out)
{
	(void)c;
	if (!fc.primary_known)
		return CONTROL_UNKNOWN;
	if (!fc.primary_have)
		return CONTROL_NONE;
	*out = fc.primary;
	return CONTROL_SOME;
}

void
control_primary_write(struct control *c, const struct primary_record *rec)
{
	(void)c;
	fc.primary_writes++;
	fc.primary_have = rec != NULL;
	if (rec != NULL)
		fc.primary = *rec;
}

bool
control_pause_known(const struct control *c)
{
	(void)c;
	return fc.pause_known;
}

const char *
control_primary_clearable(const struct control *c, int32_t *version)
{
	(void)c;
	if (!fc.primary_known || !fc.primary_have)
		return NULL;
	*version = 7;
	return "/e/primary";
}

/* The fake's line is the control itself: a read reports nobody else in line. */
struct line *
control_line(struct control *c)
{
	return (struct line *)(void *)c;
}

void
line_read(struct line *l, bool watch)
{
	struct control *c = (struct control *)(void *)l;

	(void)watch;
	fc.line_reads++;
	c->cb.line(c->arg, NULL, 0);	/* nobody else in line: the check passes at once */
}

void
line_read_listed(struct line *l, char *const *children, int n)
{
	(void)children;
	(void)n;
	line_read(l, false);
}

void
line_stop(struct line *l)
{
	(void)l;
}

void
line_prefetch(struct line *l, bool on)
{
	(void)l;
	fc.prefetch = on;
}

void
line_forget(struct line *l)
{
	(void)l;
}

void
control_switchover_create(struct control *c, const struct switchover *req)
{
	(void)c;
	fc.writes++;
	fc.written = *req;
}

void
control_pause_end(struct control *c)
{
	(void)c;
	fc.pause_ends++;
}

void
fc_report(const struct switchover *req, const char *const *names, size_t n)
{
	struct znode_name *line = NULL;
	size_t k = 0;

	cur->have = req != NULL;
	if (req != NULL) {
		cur->req = *req;
		cur->version++;
	}
	if (names != NULL) {
		line = xcalloc(n + 1, sizeof(*line));
		k = znode_sort((char *const *)(uintptr_t)names, n, line);
	}
	cur->cb.switchover(cur->arg, req, cur->version, line, k);
	free(line);
}

void
fc_pause(const struct pause_record *rec, int64_t mzxid)
{
	cur->cb.pause(cur->arg, rec, mzxid);
}

void
fc_primary(const struct primary_record *rec)
{
	fc.primary_known = true;
	fc.primary_have = rec != NULL;
	if (rec != NULL)
		fc.primary = *rec;
	cur->cb.primary(cur->arg);
}

void
fc_written(bool ok)
{
	if (ok) {
		cur->req = fc.written;
		cur->have = true;
		cur->version++;
	}
	cur->cb.written(cur->arg, &fc.written, ok);
}

void
fc_reset(void)
{
	memset(&fc, 0, sizeof(fc));
	fc.primary_known = true;	/* read at once, and empty */
	fc.pause_known = true;
}

void
control_read_exit(struct control *c)
{
	(void)c;
}

enum control_known
control_exit(const struct control *c, struct exit_note *out, int64_t *mtime_ms)
{
	(void)c;
	(void)out;
	*mtime_ms = 0;
	return CONTROL_NONE;
}

void
control_exit_write(struct control *c, const struct exit_note *x)
{
	(void)c;
	(void)x;
	fc.exit_writes++;
}

void
control_exit_prepare(struct control *c)
{
	(void)c;
}

void
control_history_amend(struct control *c, const char *id, int64_t epoch, const char *cause)
{
	(void)c;
	(void)id;
	(void)epoch;
	(void)cause;
}

void
control_history_add(struct control *c, const struct history_record *h, int keep)
{
	(void)c;
	(void)keep;
	fc.history_adds++;
	fc.history = *h;
}
