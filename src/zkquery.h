/* zkquery: zkelectctl's direct, synchronous questions to ZooKeeper (no daemon needed). */
#ifndef ZKELECT_ZKQUERY_H
#define ZKELECT_ZKQUERY_H

#include <stddef.h>
#include <stdint.h>

struct config;

struct contender {
	int position;		/* 1 = leader */
	char *id;
	int64_t epoch;		/* czxid */
	char *znode;		/* full path */
	char *data;
	size_t data_len;
};

enum {
	ZKQUERY_OK = 0,
	ZKQUERY_UNREACHABLE = -1,	/* not connected within the session timeout */
	ZKQUERY_ERROR = -2,		/* any other error (message logged to stderr) */
};

/*
 * The contenders under cfg->path in election order, with their data and epoch
 * (a contender that vanishes between the listing and the read is skipped: rule
 * 19). A missing election path is an empty list.
 */
int zkquery_list(const struct config *cfg, struct contender **out, size_t *n);
void zkquery_free(struct contender *c, size_t n);

#endif
