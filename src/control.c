/* control: the operator's requests beside the election (control.h). */
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "history.h"
#include "log.h"
#include "pause.h"
#include "switchover.h"
#include "xmalloc.h"
#include "znode.h"

/* The znodes read and watched: the switchover request, the pause, the breadcrumb. */
enum node { N_SWITCHOVER, N_PAUSE, N_PRIMARY, N_COUNT };

struct watched {
	struct control *c;
	enum node which;
	char *path;
	uint64_t reads;		/* tags each read; an answer to an older read is dropped */
	bool known;		/* read at least once in this session */
	bool have;		/* it exists (and parsed) as last read */
	int32_t version;
};

struct control {
	struct zk *zk;
	struct control_callbacks cb;
	void *arg;
	char *path;		/* the election path */
	struct watched node[N_COUNT];
	bool watch_line;
	bool quiet;		/* stopping: read nothing more (writes still go) */
	struct switchover req;	/* as last read, when node[N_SWITCHOVER].have */
	struct switchover pending;	/* the write in flight */
	struct primary_record primary;	/* as last read, when node[N_PRIMARY].have */
	char *exit_path, *history_path, *history_prefix;
	uint64_t exit_reads;
	enum control_known exit_known;
	bool exit_missing;		/* the last read found no PATH/exit */
	struct exit_note exit;		/* as last read, when exit_known is SOME */
	int64_t exit_mtime;
	int history_keep;
	struct exit_note pending_exit;	/* the exit note being written */
	/* an amendment of the history under way (control_history_amend) */
	uint64_t amend_tag;
	char amend_id[ZNODE_ID_MAX + 1];
	int64_t amend_epoch;
	char amend_cause[32];
	int amend_pending;
	bool amend_found;
	struct line *line;	/* the line with priorities (line.c) */
	struct history_write *writes;	/* history records on their way */
};

static void read_node(struct watched *w);
static void get_done(void *arg, const struct zk_result *r);
static void exists_done(void *arg, const struct zk_result *r);
static void got_switchover(struct control *c, const struct zk_result *r);
static void got_pause(struct control *c, const struct zk_result *r);
static void got_primary(struct control *c, const struct zk_result *r);
static void line_done(void *arg, const struct zk_result *r);
static void set_done(void *arg, const struct zk_result *r);
static void primary_done(void *arg, const struct zk_result *r);
static void report(struct control *c, const struct znode_name *line, size_t n);
static void exit_done(void *arg, const struct zk_result *r);
static void exit_set_done(void *arg, const struct zk_result *r);
static void history_created(void *arg, const struct zk_result *r);
static void history_parent_done(void *arg, const struct zk_result *r);
static void history_write_free(struct history_write *w);
static void history_listed(void *arg, const struct zk_result *r);
static void ignore_done(void *arg, const struct zk_result *r);
static void amend_listed(void *arg, const struct zk_result *r);
static void amend_read(void *arg, const struct zk_result *r);
static void amend_done(struct control *c);

/* How many of the newest history records an amendment looks at. */
#define AMEND_NEWEST 10

/*
 * A history record on its way: created (with its parent if need be), then the
 * trim. Kept in the control's list until answered: an answer never comes once
 * the session is closed, and control_free frees what is left.
 */
struct history_write {
	struct control *c;
	char *buf;
	size_t len;
	bool parent_tried;
	struct history_write *next;
};

static const char *const node_names[N_COUNT] = { SWITCHOVER_ZNODE, PAUSE_ZNODE, PRIMARY_ZNODE };

struct control *
control_new(struct zk *zk, const char *path, const struct control_callbacks *cb, void *arg)
{
	struct control *c = xcalloc(1, sizeof(*c));

	c->zk = zk;
	c->cb = *cb;
	c->arg = arg;
	c->path = xstrdup(path);
	for (int i = 0; i < N_COUNT; i++) {
		c->node[i].c = c;
		c->node[i].which = (enum node)i;
		c->node[i].path = znode_child_path(path, node_names[i]);
		c->node[i].version = -1;
	}
	c->exit_path = znode_child_path(path, EXIT_ZNODE);
	c->history_path = znode_child_path(path, HISTORY_ZNODE);
	c->history_prefix = znode_child_path(c->history_path, HISTORY_PREFIX);
	c->line = line_new(zk, path, cb->line, arg);
	return c;
}

void
control_free(struct control *c)
{
	if (c == NULL)
		return;
	free(c->path);
	for (int i = 0; i < N_COUNT; i++)
		free(c->node[i].path);
	free(c->exit_path);
	free(c->history_path);
	free(c->history_prefix);
	line_free(c->line);
	while (c->writes != NULL)
		history_write_free(c->writes);
	free(c);
}

void
control_session(struct control *c, enum zk_event ev)
{
	if (ev == ZK_EV_CONNECTED)	/* a new session: nothing read in the old one holds */
		c->node[N_PRIMARY].known = false;
	if (ev == ZK_EV_CONNECTED || ev == ZK_EV_RECONNECTED) {
		/* a pause may have begun while we were away: no promote on the old read */
		c->node[N_PAUSE].known = false;
		for (int i = 0; i < N_COUNT; i++)
			read_node(&c->node[i]);
	}
	if (ev == ZK_EV_CONNECTED)	/* our znode is gone; the path may be new */
		line_forget(c->line);
	else if (ev == ZK_EV_RECONNECTED)	/* a listing may have been lost */
		line_on_change(c->line);
}

bool
control_pause_known(const struct control *c)
{
	return c->node[N_PAUSE].known;
}

const char *
control_primary_clearable(const struct control *c, int32_t *version)
{
	const struct watched *w = &c->node[N_PRIMARY];

	if (!w->known || !w->have)
		return NULL;
	*version = w->version;
	return w->path;
}

struct line *
control_line(struct control *c)
{
	return c->line;
}

void
control_refresh(struct control *c)
{
	read_node(&c->node[N_SWITCHOVER]);
}

void
control_watch_line(struct control *c, bool on)
{
	c->watch_line = on;
}

const struct switchover *
control_switchover(const struct control *c)
{
	return c->node[N_SWITCHOVER].have ? &c->req : NULL;
}

int32_t
control_version(const struct control *c)
{
	return c->node[N_SWITCHOVER].version;
}

enum control_known
control_primary(const struct control *c, struct primary_record *out)
{
	const struct watched *w = &c->node[N_PRIMARY];

	if (!w->known)
		return CONTROL_UNKNOWN;
	if (!w->have)
		return CONTROL_NONE;
	*out = c->primary;
	return CONTROL_SOME;
}

/* Read node W with a data watch (rule 3: get arms one only if it exists). */
static void
read_node(struct watched *w)
{
	if (!w->c->quiet)
		zk_get(w->c->zk, w->path, true, get_done, w, ++w->reads);
}

void
control_quiet(struct control *c)
{
	c->quiet = true;
	c->watch_line = false;
	line_quiet(c->line);
}

void
control_on_watch(void *arg, int type, const char *path)
{
	struct control *c = arg;

	(void)type;
	for (int i = 0; i < N_COUNT; i++) {
		if (strcmp(path, c->node[i].path) == 0) {
			if (i == N_PRIMARY)	/* it changed: nobody acts on the old one (a fence) */
				c->node[i].known = false;
			read_node(&c->node[i]);	/* created, changed or deleted: the watch is spent */
			return;
		}
	}
	if (strcmp(path, c->path) != 0 || c->quiet)
		return;
	if (c->watch_line && c->node[N_SWITCHOVER].have && !switchover_final(c->req.state))
		zk_children(c->zk, c->path, true, line_done, c, c->node[N_SWITCHOVER].reads);
	line_on_change(c->line);
}

/* A node read. */
static void
get_done(void *arg, const struct zk_result *r)
{
	struct watched *w = arg;

	if (r->tag != w->reads)
		return;
	if (r->rc != ZOK && r->rc != ZNONODE) {
		if (!zk_rc_is_transient(r->rc))
			log_warnx("control: cannot read %s: %s", w->path, zerror(r->rc));
		return;	/* transient: the reconnect reads again */
	}
	if (r->rc == ZNONODE)	/* get armed no watch; exists arms one for its creation */
		zk_exists(w->c->zk, w->path, true, exists_done, w, w->reads);
	w->known = true;
	w->version = r->rc == ZOK ? r->stat->version : -1;
	switch (w->which) {
	case N_SWITCHOVER:
		got_switchover(w->c, r);
		break;
	case N_PAUSE:
		got_pause(w->c, r);
		break;
	default:
		got_primary(w->c, r);
		break;
	}
}

/* The exists sent when a node was missing answered; it armed a watch. */
static void
exists_done(void *arg, const struct zk_result *r)
{
	struct watched *w = arg;

	if (r->tag == w->reads && r->rc == ZOK)
		read_node(w);	/* created meanwhile */
}

/* The switchover request read: report it, with the line when it is under way. */
static void
got_switchover(struct control *c, const struct zk_result *r)
{
	struct watched *w = &c->node[N_SWITCHOVER];
	char why[128];

	w->have = r->rc == ZOK &&
	    switchover_decode(r->value, (size_t)r->value_len, &c->req, why, sizeof(why));
	if (r->rc == ZOK && !w->have)
		log_warnx("control: %s: %s; ignored", w->path, why);
	if (!w->have || switchover_final(c->req.state))
		report(c, NULL, 0);
	else	/* under way: what to do depends on the line */
		zk_children(c->zk, c->path, c->watch_line, line_done, c, w->reads);
}

/* The pause read: report it (NULL: there is none). */
static void
got_pause(struct control *c, const struct zk_result *r)
{
	struct watched *w = &c->node[N_PAUSE];
	struct pause_record rec;

	w->have = r->rc == ZOK && pause_decode(r->value, (size_t)r->value_len, &rec);
	if (r->rc == ZOK && !w->have)
		log_warnx("control: %s is no pause of ours (no \"zkelectd-pause 1\" with for_ms); "
		    "ignored", w->path);
	c->cb.pause(c->arg, w->have ? &rec : NULL, w->have ? r->stat->mzxid : 0);
}

/* The breadcrumb read: keep it, report it. */
static void
got_primary(struct control *c, const struct zk_result *r)
{
	struct watched *w = &c->node[N_PRIMARY];

	w->have = r->rc == ZOK && primary_decode(r->value, (size_t)r->value_len, &c->primary);
	if (r->rc == ZOK && !w->have)
		log_warnx("control: %s is no breadcrumb of ours; it is replaced at the next "
		    "promote", w->path);
	c->cb.primary(c->arg);
}

/* The line of contenders, for a request under way. */
static void
line_done(void *arg, const struct zk_result *r)
{
	struct control *c = arg;
	struct znode_name *names;
	size_t n;

	if (r->tag != c->node[N_SWITCHOVER].reads || !c->node[N_SWITCHOVER].have || r->rc != ZOK)
		return;	/* older, or transient: the reconnect reads again */
	names = xcalloc((size_t)r->nchildren + 1, sizeof(*names));
	n = znode_sort(r->children, (size_t)r->nchildren, names);
	report(c, names, n);
	free(names);
}

/* Tell the role layer what was read. */
static void
report(struct control *c, const struct znode_name *line, size_t n)
{
	c->cb.switchover(c->arg, c->node[N_SWITCHOVER].have ? &c->req : NULL,
	    c->node[N_SWITCHOVER].version, line, n);
}

void
control_switchover_write(struct control *c, const struct switchover *req, int32_t version)
{
	size_t len;
	char *buf = switchover_encode(req, &len);

	c->pending = *req;
	zk_set(c->zk, c->node[N_SWITCHOVER].path, buf, len, version, set_done, c, 0);
	free(buf);
}

void
control_switchover_create(struct control *c, const struct switchover *req)
{
	struct watched *w = &c->node[N_SWITCHOVER];
	size_t len;
	char *buf;

	if (w->have && !switchover_final(c->req.state)) {
		log_info("control: a switchover is under way already; not asking for another");
		return;
	}
	buf = switchover_encode(req, &len);
	if (w->version >= 0)	/* a finished one (or junk): replace the version we read */
		zk_set(c->zk, w->path, buf, len, w->version, ignore_done, c, 0);
	else
		zk_create(c->zk, w->path, buf, len, ZOO_PERSISTENT, ignore_done, c, 0);
	free(buf);
}

/* A write answered: done, or it lost a race (the watch reads the winner). */
static void
set_done(void *arg, const struct zk_result *r)
{
	struct control *c = arg;
	struct watched *w = &c->node[N_SWITCHOVER];

	if (r->rc != ZOK && r->rc != ZBADVERSION && r->rc != ZNONODE)
		log_warnx("control: cannot write %s: %s", w->path, zerror(r->rc));
	if (r->rc == ZOK) {
		c->req = c->pending;
		w->have = true;
		w->version = r->stat != NULL ? r->stat->version : w->version + 1;
	}
	c->cb.written(c->arg, &c->pending, r->rc == ZOK);
}

void
control_pause_end(struct control *c)
{
	struct watched *w = &c->node[N_PAUSE];

	/*
	 * Only as read on this connection: a version number names no pause for
	 * good (each new pause is version 0 again), so a read from before a
	 * disconnect could delete a pause written since. Not sent: the read
	 * after the reconnect finds it over here and ends it (role_on_pause).
	 */
	if (w->known && w->have && w->version >= 0 && zk_usable(c->zk))
		zk_delete(c->zk, w->path, w->version, ignore_done, c, 0);
}

void
control_primary_write(struct control *c, const struct primary_record *rec)
{
	struct watched *w = &c->node[N_PRIMARY];
	size_t len;
	char *buf;

	if (rec == NULL) {	/* clear it, only if it is still the one we read */
		zk_delete(c->zk, w->path, w->version, primary_done, c, 0);
		return;
	}
	buf = primary_encode(rec, &len);
	if (w->version >= 0)	/* there (ours or not): replace the version we read */
		zk_set(c->zk, w->path, buf, len, w->version, primary_done, c, 0);
	else
		zk_create(c->zk, w->path, buf, len, ZOO_PERSISTENT, primary_done, c, 0);
	free(buf);
}

/* A breadcrumb write answered: confirmed, or it raced (the watch reads the winner). */
static void
primary_done(void *arg, const struct zk_result *r)
{
	struct control *c = arg;

	if (r->rc != ZOK && r->rc != ZBADVERSION && r->rc != ZNONODE && r->rc != ZNODEEXISTS &&
	    !zk_rc_is_transient(r->rc))
		log_warnx("control: cannot write %s: %s", c->node[N_PRIMARY].path, zerror(r->rc));
	c->cb.primary_written(c->arg, r->rc == ZOK);
}

/* --- the exit note and the history --- */

void
control_read_exit(struct control *c)
{
	if (c->quiet)
		return;
	c->exit_known = CONTROL_UNKNOWN;
	zk_get(c->zk, c->exit_path, false, exit_done, c, ++c->exit_reads);
}

enum control_known
control_exit(const struct control *c, struct exit_note *out, int64_t *mtime_ms)
{
	if (c->exit_known == CONTROL_SOME) {
		*out = c->exit;
		*mtime_ms = c->exit_mtime;
	}
	return c->exit_known;
}

/* The exit note read (a malformed one counts as none). */
static void
exit_done(void *arg, const struct zk_result *r)
{
	struct control *c = arg;

	if (r->tag != c->exit_reads)
		return;
	if (r->rc == ZOK && exit_decode(r->value, (size_t)r->value_len, &c->exit)) {
		c->exit_known = CONTROL_SOME;
		c->exit_mtime = r->stat->mtime;
	} else
		c->exit_known = CONTROL_NONE;	/* none, unreadable or lost: no cause from it */
	c->exit_missing = r->rc == ZNONODE;
	c->cb.exit_read(c->arg);
}

void
control_exit_write(struct control *c, const struct exit_note *x)
{
	size_t len;
	char *buf = exit_encode(x, &len);

	c->pending_exit = *x;
	zk_set(c->zk, c->exit_path, buf, len, -1, exit_set_done, c, 0);
	free(buf);
}

/*
 * The exit note's set answered: a first one is created instead. (A leader
 * prepares the node when it promotes, so this comes late only if someone
 * deleted it: the note may then reach ZooKeeper after our znode's deletion.)
 */
static void
exit_set_done(void *arg, const struct zk_result *r)
{
	struct control *c = arg;
	struct exit_note x;
	size_t len;
	char *buf;

	if (r->rc != ZNONODE)
		return;	/* written, or lost: only a cause in the history depends on it */
	x = c->pending_exit;
	buf = exit_encode(&x, &len);
	zk_create(c->zk, c->exit_path, buf, len, ZOO_PERSISTENT, ignore_done, c, 0);
	free(buf);
}

void
control_exit_prepare(struct control *c)
{
	if (!c->exit_missing)
		return;
	c->exit_missing = false;
	zk_create(c->zk, c->exit_path, "", 0, ZOO_PERSISTENT, ignore_done, c, 0);
}

void
control_history_add(struct control *c, const struct history_record *h, int keep)
{
	struct history_write *w = xcalloc(1, sizeof(*w));

	c->history_keep = keep;
	w->c = c;
	w->buf = history_encode(h, &w->len);
	w->next = c->writes;
	c->writes = w;
	zk_create(c->zk, c->history_prefix, w->buf, w->len, ZOO_PERSISTENT_SEQUENTIAL,
	    history_created, w, 0);
}

/* A history record's write is over: out of the list, freed. */
static void
history_write_free(struct history_write *w)
{
	struct history_write **p = &w->c->writes;

	while (*p != NULL && *p != w)
		p = &(*p)->next;
	if (*p == w)
		*p = w->next;
	free(w->buf);
	free(w);
}

/* A history record created: trim; a missing parent is created first. */
static void
history_created(void *arg, const struct zk_result *r)
{
	struct history_write *w = arg;
	struct control *c = w->c;

	if (r->rc == ZNONODE && !w->parent_tried) {
		w->parent_tried = true;
		zk_create(c->zk, c->history_path, "", 0, ZOO_PERSISTENT, history_parent_done, w, 0);
		return;
	}
	if (r->rc == ZOK)
		zk_children(c->zk, c->history_path, false, history_listed, c, 0);
	else if (!zk_rc_is_transient(r->rc))
		log_warnx("control: cannot add to %s: %s", c->history_path, zerror(r->rc));
	history_write_free(w);
}

/* The history's parent created (or there already): the record again. */
static void
history_parent_done(void *arg, const struct zk_result *r)
{
	struct history_write *w = arg;

	if (r->rc != ZOK && r->rc != ZNODEEXISTS) {
		log_warnx("control: cannot create %s: %s", w->c->history_path, zerror(r->rc));
		history_write_free(w);
		return;
	}
	zk_create(w->c->zk, w->c->history_prefix, w->buf, w->len, ZOO_PERSISTENT_SEQUENTIAL,
	    history_created, w, 0);
}

/* Order history children by their sequence suffix. */
static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The history listed: delete the oldest beyond history_keep. */
static void
history_listed(void *arg, const struct zk_result *r)
{
	struct control *c = arg;
	char **names;
	char *p;
	int n;

	if (r->rc != ZOK || r->nchildren <= c->history_keep)
		return;
	n = r->nchildren;
	names = xcalloc((size_t)n, sizeof(*names));
	for (int i = 0; i < n; i++)
		names[i] = r->children[i];
	qsort(names, (size_t)n, sizeof(*names), by_name);	/* h-%010d: by name is by age */
	for (int i = 0; i < n - c->history_keep; i++) {
		p = znode_child_path(c->history_path, names[i]);
		zk_delete(c->zk, p, -1, ignore_done, c, 0);
		free(p);
	}
	free(names);
}

/* An answer nothing depends on. */
static void
ignore_done(void *arg, const struct zk_result *r)
{
	(void)arg;
	(void)r;
}

/* --- amending a history record --- */

void
control_history_amend(struct control *c, const char *id, int64_t epoch, const char *cause)
{
	if (c->quiet)
		return;
	snprintf(c->amend_id, sizeof(c->amend_id), "%s", id);
	snprintf(c->amend_cause, sizeof(c->amend_cause), "%s", cause);
	c->amend_epoch = epoch;
	c->amend_found = false;
	zk_children(c->zk, c->history_path, false, amend_listed, c, ++c->amend_tag);
}

/* The history listed: read its newest records. */
static void
amend_listed(void *arg, const struct zk_result *r)
{
	struct control *c = arg;
	char **names;
	char *p;
	int n, from;

	if (r->tag != c->amend_tag)
		return;
	if (r->rc != ZOK || r->nchildren == 0) {
		c->cb.amended(c->arg, false);
		return;
	}
	n = r->nchildren;
	names = xcalloc((size_t)n, sizeof(*names));
	for (int i = 0; i < n; i++)
		names[i] = r->children[i];
	qsort(names, (size_t)n, sizeof(*names), by_name);
	from = n > AMEND_NEWEST ? n - AMEND_NEWEST : 0;
	c->amend_pending = n - from;
	for (int i = from; i < n; i++) {
		p = znode_child_path(c->history_path, names[i]);
		zk_get(c->zk, p, false, amend_read, c, c->amend_tag);
		free(p);
	}
	free(names);
}

/* One record read: amend it if it is the one. */
static void
amend_read(void *arg, const struct zk_result *r)
{
	struct control *c = arg;
	struct history_record h;
	size_t len;
	char *buf;

	if (r->tag != c->amend_tag)
		return;
	if (r->rc == ZOK && history_decode(r->value, (size_t)r->value_len, &h) &&
	    strcmp(h.previous, c->amend_id) == 0 && h.previous_epoch == c->amend_epoch &&
	    strcmp(h.cause, "session expired") == 0) {
		snprintf(h.cause, sizeof(h.cause), "%s", c->amend_cause);
		buf = history_encode(&h, &len);
		zk_set(c->zk, r->path, buf, len, r->stat->version, ignore_done, c, 0);
		free(buf);
		c->amend_found = true;
	} else if (r->rc == ZOK && history_decode(r->value, (size_t)r->value_len, &h) &&
	    strcmp(h.previous, c->amend_id) == 0 && h.previous_epoch == c->amend_epoch) {
		c->amend_found = true;	/* amended already, or its cause is known */
	}
	if (--c->amend_pending == 0)
		amend_done(c);
}

/* Every record looked at: report. */
static void
amend_done(struct control *c)
{
	c->cb.amended(c->arg, c->amend_found);
}
