/*
 * fake_control: the control.h surface with no ZooKeeper, for the unit tests
 * of the role module. It keeps the request the test reports and records what
 * the role module writes.
 */
#ifndef ZKELECT_FAKE_CONTROL_H
#define ZKELECT_FAKE_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "control.h"
#include "history.h"
#include "pause.h"
#include "switchover.h"
#include "znode.h"

struct fake_control_log {
	int writes;			/* control_switchover_write calls */
	struct switchover written;	/* the last one */
	bool watch_line;
	int refreshes;
	/* the breadcrumb: as the fake answers control_primary, and what was written */
	bool primary_known, primary_have;
	struct primary_record primary;
	int primary_writes;
	int exit_writes, history_adds, line_reads;
	bool prefetch;			/* line_prefetch: the line kept known ahead */
	bool pause_known;		/* what control_pause_known answers (default true) */
	int pause_ends;			/* control_pause_end calls */
	struct history_record history;	/* the last record added */
};

extern struct fake_control_log fc;

/* Report REQ (NULL: none) with the line NAMES (N child names, in order; NULL: none). */
void fc_report(const struct switchover *req, const char *const *names, size_t n);
/* Report the pause REC (NULL: none) with version MZXID. */
void fc_pause(const struct pause_record *rec, int64_t mzxid);
/* Report the breadcrumb REC as read (NULL: none). */
void fc_primary(const struct primary_record *rec);
/* Answer the last write: OK (it becomes the request as read) or lost a race. */
void fc_written(bool ok);
void fc_reset(void);

#endif
