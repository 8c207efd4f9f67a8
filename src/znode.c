/* znode: contender znode names and the leader announcement; pure functions. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "xmalloc.h"
#include "znode.h"

#define ANNOUNCE_MAGIC "zkelectd-leader 1 "

static bool parse_seq(const char *s, int32_t *out);
static bool is_hex(const char *s, size_t n);
static int cmp_qsort(const void *a, const void *b);

/* True when ID is a valid node id: [A-Za-z0-9._-], 1..ZNODE_ID_MAX bytes. */
bool
znode_valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > ZNODE_ID_MAX)
		return false;
	return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n;
}

/* Parse the 10-character sequence suffix ZooKeeper writes with "%010d". */
static bool
parse_seq(const char *s, int32_t *out)
{
	int64_t v = 0;
	int i = 0;
	bool neg = false;

	if (s[0] == '-') {
		neg = true;
		i = 1;
	}
	for (; i < ZNODE_SEQ_LEN; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (neg)
		v = -v;
	if (v < INT32_MIN || v > INT32_MAX)
		return false;
	*out = (int32_t)v;
	return true;
}

/* True when the N bytes at S are lower-case hex digits. */
static bool
is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Parse child NAME ("n_GUID_ID-SEQ"); false when it is not a contender name. */
bool
znode_parse(const char *name, struct znode_name *out)
{
	size_t len = strlen(name);
	size_t head = 2 + ZNODE_GUID_LEN + 1;	/* "n_" GUID "_" */
	size_t idlen;

	/* at least one byte of id, the '-' and the sequence */
	if (len < head + 1 + 1 + ZNODE_SEQ_LEN)
		return false;
	if (name[0] != 'n' || name[1] != '_' || name[head - 1] != '_')
		return false;
	if (!is_hex(name + 2, ZNODE_GUID_LEN))
		return false;
	if (name[len - ZNODE_SEQ_LEN - 1] != '-')
		return false;
	idlen = len - ZNODE_SEQ_LEN - 1 - head;
	if (idlen == 0 || idlen > ZNODE_ID_MAX)
		return false;
	if (!parse_seq(name + len - ZNODE_SEQ_LEN, &out->seq))
		return false;
	memcpy(out->guid, name + 2, ZNODE_GUID_LEN);
	out->guid[ZNODE_GUID_LEN] = '\0';
	memcpy(out->id, name + head, idlen);
	out->id[idlen] = '\0';
	if (!znode_valid_id(out->id))
		return false;
	out->name = name;
	return true;
}

/* Election order: by sequence, then by name. */
int
znode_cmp(const struct znode_name *a, const struct znode_name *b)
{
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* qsort adapter for znode_cmp. */
static int
cmp_qsort(const void *a, const void *b)
{
	return znode_cmp(a, b);
}

/* Parse and sort the contender names among CHILDREN into OUT; return their count. */
size_t
znode_sort(char *const *children, size_t n, struct znode_name *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (children[i] != NULL && znode_parse(children[i], &out[k]))
			k++;
	qsort(out, k, sizeof(*out), cmp_qsort);
	return k;
}

/* The name prefix a process with GUID and ID gives its znodes. */
char *
znode_child_path(const char *parent, const char *name)
{
	size_t len = strlen(parent);

	if (len > 0 && parent[len - 1] == '/')
		return xasprintf("%s%s", parent, name);
	return xasprintf("%s/%s", parent, name);
}

char *
znode_prefix(const char *guid, const char *id)
{
	return xasprintf("n_%s_%s-", guid, id);
}

/* What to do with a child after a lost create reply (rule 1). */
enum znode_claim
znode_claim(const char *name, const char *prefix, int64_t owner, int64_t session, bool want,
    bool have_own)
{
	if (strncmp(name, prefix, strlen(prefix)) != 0)
		return CLAIM_IGNORE;
	if (owner == session && session != 0 && want && !have_own)
		return CLAIM_ADOPT;
	return CLAIM_DELETE;
}

/* A fresh random GUID: 64 bits from the kernel, as 16 hex digits. */
void
znode_new_guid(char out[ZNODE_GUID_LEN + 1])
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		fatal("getrandom");
	snprintf(out, ZNODE_GUID_LEN + 1, "%016" PRIx64, r);
}

#define CONTENDER_MAGIC "zkelectd-contender 1 "

char *
contender_encode(int priority, const char *data, size_t *len)
{
	char *buf = xasprintf(CONTENDER_MAGIC "%d\n%s", priority, data ? data : "");

	*len = strlen(buf);
	return buf;
}

int
contender_decode(const char *buf, size_t len, size_t *data_off)
{
	size_t mlen = strlen(CONTENDER_MAGIC), i;
	int prio = 0;

	*data_off = 0;
	if (buf == NULL || len < mlen + 2 || memcmp(buf, CONTENDER_MAGIC, mlen) != 0)
		return CONTENDER_PRIORITY_DEFAULT;
	for (i = mlen; i < len && i < mlen + 3 && buf[i] >= '0' && buf[i] <= '9'; i++)
		prio = prio * 10 + (buf[i] - '0');
	if (i == mlen || i >= len || buf[i] != '\n' || prio > CONTENDER_PRIORITY_MAX)
		return CONTENDER_PRIORITY_DEFAULT;	/* not ours after all: all of it is data */
	*data_off = i + 1;
	return prio;
}

/* Encode the announcement: header line, then the data raw. */
char *
announce_encode(const struct announce *a, size_t *len)
{
	char *buf = xasprintf(ANNOUNCE_MAGIC "%" PRId64 " %s %s\n%s",
	    a->epoch, a->znode, a->id, a->data ? a->data : "");

	*len = strlen(buf);
	return buf;
}

/* Decode an announcement; false when BUF is not one. */
bool
announce_decode(const char *buf, size_t len, struct announce *a)
{
	const char *nl, *p;
	char *line, *sp1, *sp2, *end;
	size_t mlen = strlen(ANNOUNCE_MAGIC);

	memset(a, 0, sizeof(*a));
	if (buf == NULL || len < mlen || memcmp(buf, ANNOUNCE_MAGIC, mlen) != 0)
		return false;
	if ((nl = memchr(buf, '\n', len)) == NULL)
		return false;
	p = buf + mlen;
	line = xstrndup(p, (size_t)(nl - p));
	if ((sp1 = strchr(line, ' ')) == NULL || (sp2 = strchr(sp1 + 1, ' ')) == NULL)
		goto bad;
	*sp1 = *sp2 = '\0';
	errno = 0;
	a->epoch = strtoll(line, &end, 10);
	if (errno != 0 || *end != '\0' || end == line || a->epoch < 0)
		goto bad;
	if (!znode_valid_id(sp2 + 1) || strchr(sp1 + 1, '/') != NULL || sp1[1] == '\0')
		goto bad;
	a->znode = xstrdup(sp1 + 1);
	a->id = xstrdup(sp2 + 1);
	a->data = xstrndup(nl + 1, len - (size_t)(nl + 1 - buf));
	free(line);
	return true;
bad:
	free(line);
	return false;
}

void
announce_free(struct announce *a)
{
	free(a->znode);
	free(a->id);
	free(a->data);
	memset(a, 0, sizeof(*a));
}
