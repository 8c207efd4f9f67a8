/* history: the exit note and the history records (history.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "record.h"
#include "xmalloc.h"

#define EXIT_MAGIC "zkelectd-exit 1\n"
#define HISTORY_MAGIC "zkelectd-history 1\n"

static bool exit_field(void *out, const struct record_kv *kv);
static bool history_field(void *out, const struct record_kv *kv);
static bool id_field(char *dst, size_t size, const struct record_kv *kv);
static bool signed_field(const struct record_kv *kv, int64_t *out);

/* Each demote reason's name in the history (the rest: the reason itself). */
static const struct {
	const char *reason, *cause;
} exit_causes[] = {
	{ "shutdown", "graceful handover" },
	{ "resigned", "resign" },
	{ "health-failed", "health" },
	{ "promote-failed", "promote failed" },
	{ "switchover", "switchover" },
};

char *
exit_encode(const struct exit_note *x, size_t *len)
{
	char *buf = xasprintf(EXIT_MAGIC "id=%s\nepoch=%" PRId64 "\nreason=%s\ndemote_ms=%" PRId64
	    "\n", x->id, x->epoch, x->reason, x->demote_ms);

	*len = strlen(buf);
	return buf;
}

bool
exit_decode(const char *buf, size_t len, struct exit_note *x)
{
	memset(x, 0, sizeof(*x));
	return record_parse(buf, len, EXIT_MAGIC, exit_field, x) && x->id[0] != '\0';
}

char *
history_encode(const struct history_record *h, size_t *len)
{
	char by[sizeof(h->by)];
	char *buf;

	record_clean(by, sizeof(by), h->by, strnlen(h->by, sizeof(h->by)));
	buf = xasprintf(HISTORY_MAGIC "leader=%s\nepoch=%" PRId64 "\nprevious=%s\n"
	    "previous_epoch=%" PRId64 "\ncause=%s\nby=%s\nexit_mtime_ms=%" PRId64 "\n"
	    "demote_ms=%" PRId64 "\npromote=%s\n", h->leader, h->epoch, h->previous,
	    h->previous_epoch, h->cause, by, h->exit_mtime_ms, h->demote_ms,
	    h->promote_ok ? "ok" : "failed");
	*len = strlen(buf);
	return buf;
}

bool
history_decode(const char *buf, size_t len, struct history_record *h)
{
	memset(h, 0, sizeof(*h));
	h->previous_epoch = -1;
	h->demote_ms = -1;
	return record_parse(buf, len, HISTORY_MAGIC, history_field, h) && h->leader[0] != '\0';
}

const char *
history_cause(const char *promote_reason, const struct exit_note *x, const char *previous,
    int64_t previous_epoch)
{
	if (strcmp(promote_reason, "elected") != 0)
		return promote_reason;	/* switchover, forced, pause-ended */
	if (previous == NULL || previous[0] == '\0')
		return "elected";	/* nobody led before, as far as this node knew */
	if (x == NULL || previous == NULL || strcmp(x->id, previous) != 0 ||
	    x->epoch != previous_epoch)
		return "session expired";
	for (size_t i = 0; i < sizeof(exit_causes) / sizeof(exit_causes[0]); i++)
		if (strcmp(x->reason, exit_causes[i].reason) == 0)
			return exit_causes[i].cause;
	return "session expired";
}

int64_t
history_leaderless_ms(const struct history_record *h)
{
	int64_t gap = h->ctime_ms - h->exit_mtime_ms;

	if (h->exit_mtime_ms <= 0 || h->demote_ms < 0 || gap < 0)
		return -1;
	return gap + h->demote_ms;
}

static bool
exit_field(void *out, const struct record_kv *kv)
{
	struct exit_note *x = out;

	if (strcmp(kv->key, "id") == 0)
		return id_field(x->id, sizeof(x->id), kv);
	if (strcmp(kv->key, "epoch") == 0)
		return record_number(kv, &x->epoch);
	if (strcmp(kv->key, "demote_ms") == 0)
		return record_number(kv, &x->demote_ms);
	if (strcmp(kv->key, "reason") == 0)
		record_text(x->reason, sizeof(x->reason), kv);
	return true;
}

static bool
history_field(void *out, const struct record_kv *kv)
{
	struct history_record *h = out;

	if (strcmp(kv->key, "leader") == 0)
		return id_field(h->leader, sizeof(h->leader), kv);
	if (strcmp(kv->key, "previous") == 0)
		return id_field(h->previous, sizeof(h->previous), kv);
	if (strcmp(kv->key, "epoch") == 0)
		return record_number(kv, &h->epoch);
	if (strcmp(kv->key, "previous_epoch") == 0)
		return signed_field(kv, &h->previous_epoch);
	if (strcmp(kv->key, "exit_mtime_ms") == 0)
		return record_number(kv, &h->exit_mtime_ms);
	if (strcmp(kv->key, "demote_ms") == 0)
		return signed_field(kv, &h->demote_ms);
	if (strcmp(kv->key, "cause") == 0)
		record_text(h->cause, sizeof(h->cause), kv);
	else if (strcmp(kv->key, "by") == 0)
		record_text(h->by, sizeof(h->by), kv);
	else if (strcmp(kv->key, "promote") == 0)
		h->promote_ok = kv->vlen == 2 && memcmp(kv->v, "ok", 2) == 0;
	return true;
}

/* A node id: too long for DST is malformed (cut, it could name another node). */
static bool
id_field(char *dst, size_t size, const struct record_kv *kv)
{
	if (kv->vlen >= size)
		return false;
	record_text(dst, size, kv);
	return true;
}

/* A number, or -1 for "none". */
static bool
signed_field(const struct record_kv *kv, int64_t *out)
{
	if (kv->vlen == 2 && memcmp(kv->v, "-1", 2) == 0) {
		*out = -1;
		return true;
	}
	return record_number(kv, out);
}
