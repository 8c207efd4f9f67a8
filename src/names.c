/* names: the names of roles, reasons and hooks. */
#include "names.h"

static const char *const roles[R_COUNT] = {
	"starting", "follower", "leader", "observer", "withdrawn", "stopped",
};

static const char *const reasons[RS_NONE + 1] = {
	"elected", "resigned", "connection-lost", "session-expired", "health-failed",
	"promote-failed", "shutdown", "startup", "leader-changed", "deleted", "resumed",
	"switchover", "pause-ended", "forced", "",
};

static const char *const hooks[HK_COUNT + 1] = {
	"promote", "demote", "follow", "health", "fence", "none",
};

const char *
name_of_role(enum role_name r)
{
	return roles[r];
}

const char *
name_of_reason(enum reason why)
{
	return reasons[why];
}

const char *
name_of_hook(enum hook_kind k)
{
	return hooks[k];
}
