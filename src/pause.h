/*
 * pause: the cluster-wide maintenance pause as it is stored in ZooKeeper, and this node's own view of the pause (pure
 * functions and the pause file; no ZooKeeper calls). docs/operations.md
 * tells the story and the safety argument (rule 24).
 *
 *   PATH/pause    written by `zkelectctl pause`, deleted by `zkelectctl resume`:
 *                 how long (for_ms), why, who, and when by the asker's clock
 *                 (shown, never acted on). Each node times a pause itself, on
 *                 its own boot-time clock, from when it first read that version
 *                 (mzxid); a shorter version never shortens what it has seen.
 *   PATH/primary  the breadcrumb (breadcrumb.h): among what it says, whether
 *                 its node relies on the pause to keep its service through a
 *                 lost connection (paused).
 */
#ifndef ZKELECT_PAUSE_H
#define ZKELECT_PAUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "breadcrumb.h"
#include "znode.h"

#define PAUSE_ZNODE "pause"
#define PAUSE_TEXT_MAX 256

/* What PATH/pause says. */
struct pause_record {
	int64_t for_ms;			/* how long, from when each node reads it */
	int64_t since_ms;		/* the asker's wall clock: shown only */
	char by[PAUSE_TEXT_MAX];
	char reason[PAUSE_TEXT_MAX];
};

/* This node's view of the pause. */
struct pause_view {
	bool paused;
	int64_t until_ms;	/* CLOCK_BOOTTIME ms: when it ends here without a resume */
	int64_t mzxid;		/* the version of PATH/pause last timed (0: none) */
	int64_t ended_mzxid;	/* the last version that ran out on this clock (0: none; not saved) */
	struct pause_record rec;	/* as last read */
};

char *pause_encode(const struct pause_record *p, size_t *len);
bool pause_decode(const char *buf, size_t len, struct pause_record *p);

/*
 * Version MZXID of the pause, REC, read at NOW (boot-time ms): a version not
 * timed yet starts its own clock (its for_ms capped at MAX_MS), and the pause
 * ends at the later of that and what was seen before. True when V changed. A
 * version that ran out here is over for good: read again (its delete was lost
 * or not sent yet), it changes nothing (pause_over_here).
 */
bool pause_seen(struct pause_view *v, const struct pause_record *rec, int64_t mzxid,
    int64_t now, int64_t max_ms);
/* True when the pause V has run out at NOW: V is cleared, its version over here. */
bool pause_expired(struct pause_view *v, int64_t now);
/* True when version MZXID has run out on this node's clock already. */
bool pause_over_here(const struct pause_view *v, int64_t mzxid);
/* The pause ended (a resume): V cleared; a version that ran out here stays over. */
void pause_clear(struct pause_view *v);

/*
 * The pause file (the runtime directory: it survives a restart, not a
 * reboot): V with this boot's id, written atomically, mode 0644. Load gives
 * false (V cleared) when there is none, it is of another boot or malformed.
 */
int pause_save(const char *file, const struct pause_view *v, char *err, size_t errlen);
bool pause_load(const char *file, struct pause_view *v);

#endif
