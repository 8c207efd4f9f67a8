/*
 * zkrc: what a ZooKeeper return code means for the caller, defined once for the
 * daemon (zk, election) and for zkelectctl (zkquery).
 */
#ifndef ZKELECT_ZKRC_H
#define ZKELECT_ZKRC_H

#include <stdbool.h>

/*
 * True for the return codes that say the request may not have reached the
 * server, or its answer did not reach us (connection loss, a timeout, the
 * session going away): the caller cannot tell what happened, and a reconnect
 * is where it looks again.
 */
bool zk_rc_is_transient(int rc);

/*
 * The ACL of a znode zkelectd or zkelectctl creates: creator-all and
 * world-read when the session is AUTHENTICATED, else open.
 */
const struct ACL_vector *zk_create_acl(bool authenticated);

#endif
