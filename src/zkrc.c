/* zkrc: ZooKeeper return codes. */
#include <zookeeper/zookeeper.h>

#include "zkrc.h"

bool
zk_rc_is_transient(int rc)
{
	return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED ||
	    rc == ZCLOSING || rc == ZINVALIDSTATE || rc == ZSESSIONMOVED;
}

const struct ACL_vector *
zk_create_acl(bool authenticated)
{
	static struct Id world = { "world", "anyone" }, creator = { "auth", "" };
	static struct ACL acl[2];
	static struct ACL_vector vec = { 2, acl };

	if (!authenticated)
		return &ZOO_OPEN_ACL_UNSAFE;
	acl[0].perms = ZOO_PERM_ALL;
	acl[0].id = creator;
	acl[1].perms = ZOO_PERM_READ;
	acl[1].id = world;
	return &vec;
}
