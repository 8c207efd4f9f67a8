/*
 * names: the roles, the reasons of a transition and the hooks, and what the
 * daemon calls them in the state file, the hook environment, the log and the
 * status endpoint. One table each, here.
 */
#ifndef ZKELECT_NAMES_H
#define ZKELECT_NAMES_H

enum role_name { R_STARTING, R_FOLLOWER, R_LEADER, R_OBSERVER, R_WITHDRAWN, R_STOPPED, R_COUNT };

enum reason {
	RS_ELECTED, RS_RESIGNED, RS_CONNECTION_LOST, RS_SESSION_EXPIRED, RS_HEALTH_FAILED,
	RS_PROMOTE_FAILED, RS_SHUTDOWN, RS_STARTUP, RS_LEADER_CHANGED, RS_DELETED, RS_RESUMED,
	RS_SWITCHOVER, RS_PAUSE_ENDED, RS_FORCED, RS_NONE,
};

/* The hooks, the health check and the fence, all run by the same runner. */
enum hook_kind {
	HK_PROMOTE, HK_DEMOTE, HK_FOLLOW, HK_HEALTH, HK_FENCE, HK_COUNT, HK_NONE = HK_COUNT
};

const char *name_of_role(enum role_name r);
const char *name_of_reason(enum reason why);	/* "" for RS_NONE */
const char *name_of_hook(enum hook_kind k);	/* "none" for HK_NONE */

#endif
