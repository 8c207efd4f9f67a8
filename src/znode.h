/*
 * znode: the names of contender znodes, pure functions (no ZooKeeper calls).
 *
 * A contender's znode is  PATH/n_<GUID>_<ID>-<SEQ>  where GUID is 16 lower-case hex
 * digits chosen once per process (Curator's "protected" mode: after a lost create
 * reply we can recognise our own node), ID is the node's id and SEQ is the
 * 10-character sequence suffix ZooKeeper appends (a signed 32-bit counter,
 * "%010d"). Election order is by SEQ alone; children that do not match are ignored.
 */
#ifndef ZKELECT_ZNODE_H
#define ZKELECT_ZNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZNODE_GUID_LEN 16
#define ZNODE_SEQ_LEN 10
/* The longest node id, in bytes (the config checks [election] id against it). */
#define ZNODE_ID_MAX 128
/* The child of the election path where the leader announces itself (rule 20). */
#define ZNODE_ANNOUNCE "leader"

struct znode_name {
	const char *name;	/* the child name (not owned) */
	char guid[ZNODE_GUID_LEN + 1];
	char id[ZNODE_ID_MAX + 1];
	int32_t seq;
};

/* Parse child NAME; false when it is not a contender name of ours. */
bool znode_parse(const char *name, struct znode_name *out);

/* Election order: by sequence, then by name (for a total order). */
int znode_cmp(const struct znode_name *a, const struct znode_name *b);

/*
 * Parse and sort the contender names among CHILDREN (N entries) into OUT
 * (room for N); return how many there are. Others are skipped.
 */
size_t znode_sort(char *const *children, size_t n, struct znode_name *out);

/* PARENT/NAME, malloc'd (PARENT "/" gives "/NAME"). */
char *znode_child_path(const char *parent, const char *name);

/* The prefix (without PATH/) a process with GUID and ID gives its znodes: "n_GUID_ID-". */
char *znode_prefix(const char *guid, const char *id);

/*
 * After a create whose reply was lost (rule 1): what to do with child NAME, whose
 * ephemeralOwner is OWNER, given our PREFIX and SESSION. Only a node with our
 * prefix is ours at all (a node with our id from another process is someone
 * else's: rule 17); it is adopted only when our current session owns it, we
 * want a znode and hold none yet; any other node of ours is deleted.
 */
enum znode_claim { CLAIM_IGNORE, CLAIM_ADOPT, CLAIM_DELETE };
enum znode_claim znode_claim(const char *name, const char *prefix, int64_t owner,
    int64_t session, bool want, bool have_own);

/* A fresh random GUID (16 hex digits) into OUT. */
void znode_new_guid(char out[ZNODE_GUID_LEN + 1]);

/* True when ID is a valid node id: [A-Za-z0-9._-], 1..ZNODE_ID_MAX bytes. */
bool znode_valid_id(const char *id);

/*
 * A contender's znode data: "zkelectd-contender 1 PRIORITY\n" then the node's
 * data, raw. Decode gives the priority and where the data begins (*DATA_OFF);
 * data without the header (an older zkelectd) has the default priority.
 */
#define CONTENDER_PRIORITY_DEFAULT 100
#define CONTENDER_PRIORITY_MAX 255
char *contender_encode(int priority, const char *data, size_t *len);
int contender_decode(const char *buf, size_t len, size_t *data_off);

/*
 * The announcement (rule 20): "zkelectd-leader 1 EPOCH ZNODE-NAME ID\n" then the
 * leader's data, raw. Encode returns a malloc'd buffer and its length in *len.
 */
struct announce {
	int64_t epoch;
	char *znode;		/* child name of the leader's znode */
	char *id;
	char *data;		/* NUL-terminated copy (data holding NUL is cut there) */
};
char *announce_encode(const struct announce *a, size_t *len);
/* Parse BUF (LEN bytes) into A (strings malloc'd); false when malformed. */
bool announce_decode(const char *buf, size_t len, struct announce *a);
void announce_free(struct announce *a);

#endif
