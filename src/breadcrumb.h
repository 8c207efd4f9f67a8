/*
 * breadcrumb: PATH/primary, the record of the node whose service may be
 * primary (pure functions, no ZooKeeper calls). docs/fencing.md tells the
 * story and the safety argument (rule 26); docs/operations.md the pause's
 * use of it (rule 24).
 *
 * A node writes it, naming itself, as its promote starts, and removes it once
 * its demote has ended well: that removal is the "clean" mark, and it reaches
 * ZooKeeper before the node's election znode goes (one session's requests are
 * served in order). So a breadcrumb that names another node means that node
 * may still act as primary: the next leader fences it first (role_fence.c).
 */
#ifndef ZKELECT_BREADCRUMB_H
#define ZKELECT_BREADCRUMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znode.h"

#define PRIMARY_ZNODE "primary"
#define BREADCRUMB_DATA_MAX 512
#define BREADCRUMB_SESSION_MAX 24

/* What PATH/primary says. */
struct primary_record {
	char id[ZNODE_ID_MAX + 1];
	int64_t epoch;
	bool paused;	/* it keeps its service through a lost connection: wait for it */
	bool demote_failed;	/* its demote hook ran and failed */
	int64_t fence_failures;	/* fences of it that failed so far (each successor's) */
	char data[BREADCRUMB_DATA_MAX];	/* its [election] data, cut to size */
	char session[BREADCRUMB_SESSION_MAX];	/* its session id, as 0x... ("" unknown) */
};

char *primary_encode(const struct primary_record *p, size_t *len);
/* False when BUF is no breadcrumb (no magic, no id, a bad number, an id too long). */
bool primary_decode(const char *buf, size_t len, struct primary_record *p);
/* How the node P names left, as far as ZooKeeper knows: "demote-failed" or "no-demote". */
const char *primary_how(const struct primary_record *p);

#endif
