/*
 * control: what is stored beside the election, in the election's session:
 * the switchover request (PATH/switchover, switchover.h), the maintenance
 * pause (PATH/pause) and the primary's breadcrumb (PATH/primary, pause.h).
 *
 * It reads them, keeps a watch on them and reports each version it reads to
 * the role layer, the switchover request together with the line of
 * contenders when it is under way (the role layer decides: role_switchover.c,
 * role_pause.c). It writes only what the role layer asks, always with a
 * compare-and-set on the version it read.
 */
#ifndef ZKELECT_CONTROL_H
#define ZKELECT_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "line.h"
#include "zk.h"

struct control;
struct exit_note;
struct history_record;
struct pause_record;
struct primary_record;
struct switchover;
struct znode_name;

struct control_callbacks {
	/*
	 * The request as read now (NULL: there is none, or it is not ours to
	 * read), its version, and, when it is under way, the contenders in
	 * election order (LINE, N; NULL, 0 otherwise).
	 */
	void (*switchover)(void *arg, const struct switchover *req, int32_t version,
	    const struct znode_name *line, size_t n);
	/* A write asked with control_switchover_write is done (OK), or lost a race. */
	void (*written)(void *arg, const struct switchover *req, bool ok);
	/* The pause as read now (NULL: none), and its version (mzxid). */
	void (*pause)(void *arg, const struct pause_record *rec, int64_t mzxid);
	/* The breadcrumb was read (control_primary says what it holds). */
	void (*primary)(void *arg);
	/* A write asked with control_primary_write is done (OK), or raced. */
	void (*primary_written)(void *arg, bool ok);
	/* The exit note asked for with control_read_exit was read (control_exit). */
	void (*exit_read)(void *arg);
	/* The line with each contender's priority, in election order (line.h). */
	line_fn *line;
	/* control_history_amend looked through the newest records: FOUND the one, or not. */
	void (*amended)(void *arg, bool found);
};

struct control *control_new(struct zk *zk, const char *path,
    const struct control_callbacks *cb, void *arg);
void control_free(struct control *c);

/* The session is usable again (a new one, or the same after a loss): read afresh. */
void control_session(struct control *c, enum zk_event ev);
/* A watch event on a path the election does not own. */
void control_on_watch(void *arg, int type, const char *path);
/*
 * Stopping: read and watch nothing more, so that nothing is in flight when the
 * session closes but the writes the stop itself makes (the breadcrumb, the leave).
 */
void control_quiet(struct control *c);
/* Read again now (e.g. this node was just elected). */
void control_refresh(struct control *c);
/* Watch the line of contenders while a request is under way (the leader does). */
void control_watch_line(struct control *c, bool on);
/* The request as last read (NULL: none), for the role layer's own questions. */
const struct switchover *control_switchover(const struct control *c);
/* The version of the request as last read. */
int32_t control_version(const struct control *c);
/* Ask for a switchover (failback): REQ replaces a finished request; none under way. */
void control_switchover_create(struct control *c, const struct switchover *req);
/* Replace the request (read with VERSION) by REQ; the outcome comes through written(). */
void control_switchover_write(struct control *c, const struct switchover *req,
    int32_t version);

/* What the breadcrumb holds, as last read in this session. */
enum control_known { CONTROL_UNKNOWN, CONTROL_NONE, CONTROL_SOME };
enum control_known control_primary(const struct control *c, struct primary_record *out);
/*
 * Delete the pause as last read (its version): it has run out. A renewal since
 * stands. Sent only when that read is of this connection and ZooKeeper answers.
 */
void control_pause_end(struct control *c);
/* True once the pause has been read since the session was (re)connected. */
bool control_pause_known(const struct control *c);
/* The breadcrumb's path and the version last read (*VERSION), or NULL when there is none. */
const char *control_primary_clearable(const struct control *c, int32_t *version);
/* Replace the breadcrumb (as last read) by REC, or delete it (REC NULL). */
void control_primary_write(struct control *c, const struct primary_record *rec);

/*
 * The history (history.h): read the exit note the last leader left (its
 * answer comes through exit_read, then control_exit tells it, with the note's
 * mtime), write ours, and add a record, keeping the newest KEEP.
 */
void control_read_exit(struct control *c);
enum control_known control_exit(const struct control *c, struct exit_note *out,
    int64_t *mtime_ms);
void control_exit_write(struct control *c, const struct exit_note *x);
/*
 * After the exit note's read: create PATH/exit if that read found none, so
 * that a later write is one request (a leader, early).
 */
void control_exit_prepare(struct control *c);
void control_history_add(struct control *c, const struct history_record *h, int keep);
/*
 * Among the newest records, the one whose previous leader is ID at EPOCH and
 * whose cause is "session expired" gets CAUSE instead (compare-and-set).
 */
void control_history_amend(struct control *c, const char *id, int64_t epoch,
    const char *cause);

/* The line with its priorities (line.h), read in this session; reports go to line(). */
struct line *control_line(struct control *c);

#endif
