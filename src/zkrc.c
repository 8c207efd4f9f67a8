/* zkrc: ZooKeeper return codes. */
#include <zookeeper/zookeeper.h>

#include "zkrc.h"

bool
zk_rc_is_transient(int rc)
{
	return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED ||
	    rc == ZCLOSING || rc == ZINVALIDSTATE || rc == ZSESSIONMOVED;
}
