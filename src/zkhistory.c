/*
 * zkhistory: the leader history as zkelectctl reads it (zkhistory.h).
 *
 * The records are PATH/history/h-NNNNNNNNNN, persistent sequential: the
 * sequence suffix orders them by age. Only names of that form are records;
 * anything else there is left alone.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <zookeeper/zookeeper.h>

#include "history.h"
#include "log.h"
#include "xmalloc.h"
#include "zkhistory.h"
#include "znode.h"

/* zkhistory_find reads at most this many records, newest first. */
#define FIND_MAX 16
/* A record is a few hundred bytes: a bigger znode is none of ours. */
#define RECORD_MAX 4096

/* A record's znode: its name under PATH/history and its sequence number. */
struct entry {
	const char *name;	/* in the listing (not owned) */
	int64_t seq;
};

static int list(zhandle_t *zh, const char *hpath, int watch, struct String_vector *kids,
    struct entry **out, size_t *n);
static bool parse_seq(const char *name, int64_t *seq);
static int by_seq(const void *a, const void *b);
static int get_record(zhandle_t *zh, const char *hpath, const struct entry *e,
    struct history_record *h, bool *valid);

/* The newest NEWEST records (0: all), oldest first. */
int
zkhistory_newest(zhandle_t *zh, const char *path, size_t newest,
    struct history_record **out, size_t *n)
{
	char *hpath = znode_child_path(path, HISTORY_ZNODE);
	struct String_vector kids = { 0, NULL };
	struct history_record *recs;
	struct entry *e = NULL;
	size_t count = 0, first, k = 0;
	bool valid;
	int rc;

	*out = NULL;
	*n = 0;
	rc = list(zh, hpath, 0, &kids, &e, &count);
	if (rc == ZNONODE)
		rc = ZOK;	/* no history yet: no record */
	first = newest != 0 && newest < count ? count - newest : 0;
	recs = xcalloc(count - first + 1, sizeof(*recs));
	for (size_t i = first; i < count && rc == ZOK; i++) {
		rc = get_record(zh, hpath, &e[i], &recs[k], &valid);
		if (rc == ZNONODE)
			rc = ZOK;	/* trimmed since the listing */
		else if (rc == ZOK && !valid)
			log_warnx("%s/%s is no history record of zkelectd's: skipped", hpath,
			    e[i].name);
		else if (rc == ZOK)
			k++;
	}
	if (rc == ZOK) {
		*out = recs;
		*n = k;
	} else
		free(recs);
	free(e);
	deallocate_String_vector(&kids);
	free(hpath);
	return rc;
}

/* The newest record of EPOCH: ZOK, ZNONODE (none yet), or the failed read's result. */
int
zkhistory_find(zhandle_t *zh, const char *path, int64_t epoch, int watch,
    struct history_record *h)
{
	char *hpath = znode_child_path(path, HISTORY_ZNODE);
	struct String_vector kids = { 0, NULL };
	struct entry *e = NULL;
	size_t count = 0;
	bool valid;
	int rc, r;

	rc = list(zh, hpath, watch, &kids, &e, &count);
	if (rc == ZOK)
		rc = ZNONODE;
	for (size_t i = count; rc == ZNONODE && i > 0 && count - i < FIND_MAX; i--) {
		r = get_record(zh, hpath, &e[i - 1], h, &valid);
		if (r == ZNONODE || (r == ZOK && !valid))
			continue;	/* trimmed meanwhile, or none of ours */
		if (r != ZOK)
			rc = r;
		else if (h->epoch == epoch)
			rc = ZOK;
		else if (h->epoch < epoch)
			break;	/* older than that epoch: so is every record before it */
	}
	free(e);
	deallocate_String_vector(&kids);
	free(hpath);
	return rc;
}

/*
 * List HPATH into KIDS and its records, oldest first, into *OUT (*N; free it,
 * then deallocate KIDS). With WATCH, a child watch; on a missing HPATH, an
 * exists watch for its creation. ZooKeeper's result (ZNONODE: no HPATH).
 */
static int
list(zhandle_t *zh, const char *hpath, int watch, struct String_vector *kids,
    struct entry **out, size_t *n)
{
	struct entry *e;
	struct Stat st;
	int64_t seq;
	size_t k = 0;
	int rc;

	*out = NULL;
	*n = 0;
	for (;;) {
		rc = zoo_get_children(zh, hpath, watch, kids);
		if (rc != ZNONODE || !watch)
			break;
		/* no watch is left on a missing node: exists leaves one, for its creation */
		if ((rc = zoo_exists(zh, hpath, watch, &st)) != ZOK)
			return rc;	/* ZNONODE: still none, the watch waits for it */
		/* created meanwhile: list it */
	}
	if (rc != ZOK)
		return rc;
	e = xcalloc((size_t)kids->count + 1, sizeof(*e));
	for (int32_t i = 0; i < kids->count; i++) {
		if (!parse_seq(kids->data[i], &seq))
			continue;
		e[k].name = kids->data[i];
		e[k].seq = seq;
		k++;
	}
	qsort(e, k, sizeof(*e), by_seq);
	*out = e;
	*n = k;
	return ZOK;
}

/* The sequence number of a record's NAME (h- and 10 digits); false for any other name. */
static bool
parse_seq(const char *name, int64_t *seq)
{
	size_t plen = strlen(HISTORY_PREFIX);
	const char *p = name + plen;
	int64_t s = 0;

	if (strncmp(name, HISTORY_PREFIX, plen) != 0 || strlen(p) != ZNODE_SEQ_LEN)
		return false;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		s = s * 10 + (*p - '0');
	}
	*seq = s;
	return true;
}

/* qsort: by sequence number, oldest first. */
static int
by_seq(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Read record E of HPATH into H (ctime_ms and seq filled from its znode);
 * *VALID false when it is none of ours. ZooKeeper's result.
 */
static int
get_record(zhandle_t *zh, const char *hpath, const struct entry *e, struct history_record *h,
    bool *valid)
{
	char *path = znode_child_path(hpath, e->name), buf[RECORD_MAX];
	int len = (int)sizeof(buf), rc;
	struct Stat st;

	*valid = false;
	rc = zoo_get(zh, path, 0, buf, &len, &st);
	free(path);
	if (rc != ZOK)
		return rc;
	if (st.dataLength > (int)sizeof(buf) || len < 0)
		return ZOK;	/* too big, or no data at all */
	*valid = history_decode(buf, (size_t)len, h);
	h->ctime_ms = st.ctime;
	h->seq = e->seq;
	return ZOK;
}
