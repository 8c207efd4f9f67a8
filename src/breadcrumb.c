/* breadcrumb: PATH/primary as stored (breadcrumb.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breadcrumb.h"
#include "record.h"
#include "xmalloc.h"

#define PRIMARY_MAGIC "zkelectd-primary 1\n"

static bool primary_field(void *out, const struct record_kv *kv);
static bool flag_field(const struct record_kv *kv, bool *out);

char *
primary_encode(const struct primary_record *p, size_t *len)
{
	char data[sizeof(p->data)], session[sizeof(p->session)];
	char *buf;

	record_clean(data, sizeof(data), p->data, strlen(p->data));
	record_clean(session, sizeof(session), p->session, strlen(p->session));
	buf = xasprintf(PRIMARY_MAGIC "id=%s\nepoch=%" PRId64 "\npaused=%d\ndemote_failed=%d\n"
	    "fence_failures=%" PRId64 "\nsession=%s\ndata=%s\n", p->id, p->epoch,
	    p->paused ? 1 : 0, p->demote_failed ? 1 : 0, p->fence_failures, session, data);
	*len = strlen(buf);
	return buf;
}

bool
primary_decode(const char *buf, size_t len, struct primary_record *p)
{
	memset(p, 0, sizeof(*p));
	return record_parse(buf, len, PRIMARY_MAGIC, primary_field, p) && p->id[0] != '\0';
}

const char *
primary_how(const struct primary_record *p)
{
	return p->demote_failed ? "demote-failed" : "no-demote";
}

static bool
primary_field(void *out, const struct record_kv *kv)
{
	struct primary_record *p = out;

	if (strcmp(kv->key, "id") == 0) {
		if (kv->vlen >= sizeof(p->id))
			return false;	/* cut, it could name another node */
		record_text(p->id, sizeof(p->id), kv);
	} else if (strcmp(kv->key, "epoch") == 0)
		return record_number(kv, &p->epoch);
	else if (strcmp(kv->key, "paused") == 0)
		return flag_field(kv, &p->paused);
	else if (strcmp(kv->key, "demote_failed") == 0)
		return flag_field(kv, &p->demote_failed);
	else if (strcmp(kv->key, "fence_failures") == 0)
		return record_number(kv, &p->fence_failures);
	else if (strcmp(kv->key, "session") == 0)
		record_text(p->session, sizeof(p->session), kv);
	else if (strcmp(kv->key, "data") == 0)
		record_text(p->data, sizeof(p->data), kv);
	return true;
}

/* KV's value as 0 or 1. */
static bool
flag_field(const struct record_kv *kv, bool *out)
{
	int64_t n;

	if (!record_number(kv, &n) || n > 1)
		return false;
	*out = n == 1;
	return true;
}
