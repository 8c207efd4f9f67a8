/*
 * session: the session file, what a restarted daemon (or the new image of an
 * in-place upgrade) needs to resume its ZooKeeper session instead of waiting
 * for it to expire (rule 22 of docs/election.md, docs/resume.md).
 *
 * The file is a credential (it holds the session's password): written
 * atomically with mode 0600, read only when it belongs to our user and no one
 * else can read it, and never logged. It says which election it was written
 * for; a file for another path, id or hosts is not used.
 */
#ifndef ZKELECT_SESSION_H
#define ZKELECT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zk.h"

struct saved_session {
	struct zk_client client;	/* id, password, negotiated timeout */
	char *path, *id, *hosts;	/* the election it belongs to */
	char *guid;			/* our znode prefix's GUID (rule 1) */
	char *znode;			/* full path of our znode; NULL: none yet */
	/*
	 * Written by an in-place upgrade only (handover true): no hook was running
	 * and none was interrupted, so the new image runs none for what is done.
	 */
	bool handover;
	bool promoted;			/* the promote hook had run and we led */
	int64_t leader_epoch;		/* the leader our last follow was for (-1: none) */
	bool follow_ok;			/* that follow succeeded */
};

enum session_load {
	SESSION_NONE,		/* no file */
	SESSION_USABLE,
	SESSION_UNUSABLE,	/* there is one, but it must not be used: WHY says why */
};

/* Write S to FILE atomically (a temporary file renamed over it), mode 0600. */
int session_save(const char *file, const struct saved_session *s, char *err, size_t errlen);
/*
 * Read FILE into OUT when it is ours (owner, mode), well formed and written
 * for the election PATH, ID and HOSTS. OUT is filled only for SESSION_USABLE.
 */
enum session_load session_load(const char *file, const char *path, const char *id,
    const char *hosts, struct saved_session *out, char *why, size_t whylen);
/* Remove FILE (a missing file is fine): 0, or -1 with errno. */
int session_remove(const char *file);
/* Free the strings of S and clear it (the password too). */
void session_clear(struct saved_session *s);

#endif
