/* pause: the pause and the breadcrumb as stored, and this node's view (pause.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pause.h"
#include "record.h"
#include "state.h"
#include "xmalloc.h"

#define PAUSE_MAGIC "zkelectd-pause 1\n"
#define PAUSE_FILE_MAGIC "zkelectd-pause-view 1\n"
#define BOOT_ID_FILE "/proc/sys/kernel/random/boot_id"

static bool pause_field(void *out, const struct record_kv *kv);
static bool view_field(void *out, const struct record_kv *kv);
static void boot_id(char *buf, size_t len);
static void clean_texts(const struct pause_record *p, char *by, char *reason);

char *
pause_encode(const struct pause_record *p, size_t *len)
{
	char by[sizeof(p->by)], reason[sizeof(p->reason)], *buf;

	clean_texts(p, by, reason);
	buf = xasprintf(PAUSE_MAGIC "for_ms=%" PRId64 "\nsince_ms=%" PRId64
	    "\nby=%s\nreason=%s\n", p->for_ms, p->since_ms, by, reason);
	*len = strlen(buf);
	return buf;
}

bool
pause_decode(const char *buf, size_t len, struct pause_record *p)
{
	memset(p, 0, sizeof(*p));
	p->for_ms = -1;
	return record_parse(buf, len, PAUSE_MAGIC, pause_field, p) && p->for_ms > 0;
}

bool
pause_seen(struct pause_view *v, const struct pause_record *rec, int64_t mzxid, int64_t now,
    int64_t max_ms)
{
	int64_t f = rec->for_ms < max_ms ? rec->for_ms : max_ms;
	bool changed = !v->paused || v->mzxid != mzxid;

	if ((v->paused && v->mzxid == mzxid) || pause_over_here(v, mzxid))
		return false;	/* timed already, or over here */
	if (!v->paused || now + f > v->until_ms)
		v->until_ms = now + f;
	v->paused = true;
	v->mzxid = mzxid;
	v->rec = *rec;
	return changed;
}

bool
pause_expired(struct pause_view *v, int64_t now)
{
	int64_t ended = v->mzxid;

	if (!v->paused || now < v->until_ms)
		return false;
	pause_clear(v);
	v->ended_mzxid = ended;
	return true;
}

bool
pause_over_here(const struct pause_view *v, int64_t mzxid)
{
	return mzxid != 0 && mzxid == v->ended_mzxid;
}

void
pause_clear(struct pause_view *v)
{
	int64_t ended = v->ended_mzxid;

	memset(v, 0, sizeof(*v));
	v->ended_mzxid = ended;
}

int
pause_save(const char *file, const struct pause_view *v, char *err, size_t errlen)
{
	char boot[64], by[sizeof(v->rec.by)], reason[sizeof(v->rec.reason)];
	char *buf;
	int rc, saved;

	boot_id(boot, sizeof(boot));
	clean_texts(&v->rec, by, reason);
	buf = xasprintf(PAUSE_FILE_MAGIC "boot=%s\nuntil_ms=%" PRId64 "\nmzxid=%" PRId64
	    "\nfor_ms=%" PRId64 "\nsince_ms=%" PRId64 "\nby=%s\nreason=%s\n", boot,
	    v->until_ms, v->mzxid, v->rec.for_ms, v->rec.since_ms, by, reason);
	rc = file_replace(file, buf, strlen(buf), 0644);
	saved = errno;
	if (rc == -1)
		snprintf(err, errlen, "cannot write the pause file %s: %s", file, strerror(saved));
	free(buf);
	errno = saved;
	return rc;
}

/* What the pause file holds while it is being read. */
struct view_read {
	struct pause_view *v;
	char boot[64];
};

bool
pause_load(const char *file, struct pause_view *v)
{
	struct view_read vr;
	char buf[4096], boot[64];
	size_t n;
	FILE *fp;

	memset(v, 0, sizeof(*v));
	memset(&vr, 0, sizeof(vr));
	vr.v = v;
	if ((fp = fopen(file, "re")) == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf), fp);
	(void)fclose(fp);
	boot_id(boot, sizeof(boot));
	if (n == sizeof(buf) || !record_parse(buf, n, PAUSE_FILE_MAGIC, view_field, &vr) ||
	    strcmp(vr.boot, boot) != 0 || v->until_ms <= 0 || v->rec.for_ms <= 0) {
		memset(v, 0, sizeof(*v));
		return false;
	}
	v->paused = true;
	return true;
}

static bool
pause_field(void *out, const struct record_kv *kv)
{
	struct pause_record *p = out;

	if (strcmp(kv->key, "for_ms") == 0)
		return record_number(kv, &p->for_ms);
	if (strcmp(kv->key, "since_ms") == 0)
		return record_number(kv, &p->since_ms);
	if (strcmp(kv->key, "by") == 0)
		record_text(p->by, sizeof(p->by), kv);
	else if (strcmp(kv->key, "reason") == 0)
		record_text(p->reason, sizeof(p->reason), kv);
	return true;
}

static bool
view_field(void *out, const struct record_kv *kv)
{
	struct view_read *vr = out;

	if (strcmp(kv->key, "boot") == 0) {
		record_text(vr->boot, sizeof(vr->boot), kv);
		return true;
	}
	if (strcmp(kv->key, "until_ms") == 0)
		return record_number(kv, &vr->v->until_ms);
	if (strcmp(kv->key, "mzxid") == 0)
		return record_number(kv, &vr->v->mzxid);
	return pause_field(&vr->v->rec, kv);
}

/* P's texts cleaned as decode cleans them (BY and REASON as big as P's): no forged line. */
static void
clean_texts(const struct pause_record *p, char *by, char *reason)
{
	record_clean(by, sizeof(p->by), p->by, strnlen(p->by, sizeof(p->by)));
	record_clean(reason, sizeof(p->reason), p->reason, strnlen(p->reason, sizeof(p->reason)));
}

/* This boot's id ("" when unknown). */
static void
boot_id(char *buf, size_t len)
{
	FILE *fp = fopen(BOOT_ID_FILE, "re");

	buf[0] = '\0';
	if (fp != NULL) {
		if (fgets(buf, (int)len, fp) == NULL)
			buf[0] = '\0';
		(void)fclose(fp);
	}
	buf[strcspn(buf, "\n")] = '\0';
}
