/*
 * fuzz_znode: libFuzzer harness for znode names and the leader announcement
 * (src/znode.c).
 *
 * The input, split at newlines, is a list of child names: each is parsed, all
 * are sorted into election order, and each meets znode_claim and
 * znode_valid_id. The whole input is also decoded as an announcement. The
 * harness aborts when an answer breaks a promise: a parsed name that is not
 * "n_" GUID "_" ID "-" SEQ, an order that is not sorted or not antisymmetric,
 * a claim on a name without our prefix, or an announcement that does not come
 * back the same after encode and decode.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "znode.h"

#define MAX_NAMES 128

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what);
static bool ref_valid_id(const char *id);
static size_t split(const uint8_t *data, size_t size, char **names);
static void check_parsed(const char *name, const struct znode_name *zn);
static void fuzz_names(char **names, size_t n, const uint8_t *data, size_t size);
static void fuzz_claim(const char *name, const struct znode_name *zn, const uint8_t *data,
    size_t size);
static void round_trip(const struct announce *a);
static void fuzz_announce(const uint8_t *data, size_t size, char **names, size_t n);

/* Abort (a crash for libFuzzer) with WHAT when OK is false. */
static void
check(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_znode: broken: %s\n", what);
	abort();
}

/* The id rule written out again: [A-Za-z0-9._-], 1..128 bytes. */
static bool
ref_valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Split DATA at newlines into NUL-terminated malloc'd NAMES; return how many. */
static size_t
split(const uint8_t *data, size_t size, char **names)
{
	size_t n = 0, start = 0;

	for (size_t i = 0; i <= size && n < MAX_NAMES; i++) {
		if (i < size && data[i] != '\n')
			continue;
		names[n] = malloc(i - start + 1);
		check(names[n] != NULL, "malloc");
		memcpy(names[n], data + start, i - start);
		names[n][i - start] = '\0';
		n++;
		start = i + 1;
	}
	return n;
}

/* A parsed NAME is exactly znode_prefix(GUID, ID) and ten characters of sequence. */
static void
check_parsed(const char *name, const struct znode_name *zn)
{
	char *prefix = znode_prefix(zn->guid, zn->id);
	size_t plen = strlen(prefix);

	check(zn->name == name, "parse: name not kept");
	check(strlen(zn->guid) == ZNODE_GUID_LEN &&
	    strspn(zn->guid, "0123456789abcdef") == ZNODE_GUID_LEN, "parse: a bad GUID");
	check(znode_valid_id(zn->id) && ref_valid_id(zn->id), "parse: an invalid id");
	check(strncmp(name, prefix, plen) == 0 && strlen(name) == plen + ZNODE_SEQ_LEN,
	    "parse: the name is not prefix + sequence");
	check(strtol(name + plen, NULL, 10) == zn->seq, "parse: the sequence differs");
	free(prefix);
}

/* Parse each name, sort them all, check the order and each claim. */
static void
fuzz_names(char **names, size_t n, const uint8_t *data, size_t size)
{
	struct znode_name *sorted = calloc(n + 1, sizeof(*sorted)), zn;
	size_t parsed = 0, k;

	check(sorted != NULL, "calloc");
	for (size_t i = 0; i < n; i++) {
		check(znode_valid_id(names[i]) == ref_valid_id(names[i]), "znode_valid_id");
		memset(&zn, 0, sizeof(zn));
		if (!znode_parse(names[i], &zn)) {
			fuzz_claim(names[i], NULL, data, size);
			continue;
		}
		check_parsed(names[i], &zn);
		fuzz_claim(names[i], &zn, data, size);
		parsed++;
	}
	k = znode_sort(names, n, sorted);
	check(k == parsed, "znode_sort: a different count");
	for (size_t i = 0; i + 1 < k; i++) {
		int c = znode_cmp(&sorted[i], &sorted[i + 1]), r;

		r = znode_cmp(&sorted[i + 1], &sorted[i]);
		check(c <= 0, "znode_sort: out of order");
		check((c < 0 && r > 0) || (c == 0 && r == 0), "znode_cmp: not antisymmetric");
		check(sorted[i].seq <= sorted[i + 1].seq, "znode_sort: not by sequence");
	}
	free(sorted);
}

/* znode_claim for NAME: with the prefix of ZN (or of another process), owners from DATA. */
static void
fuzz_claim(const char *name, const struct znode_name *zn, const uint8_t *data, size_t size)
{
	int64_t owner = 0, session = 0;
	bool want = size > 0 && (data[0] & 1), have = size > 0 && (data[0] & 2);
	char *prefix = zn != NULL ? znode_prefix(zn->guid, zn->id) :
	    znode_prefix("0123456789abcdef", "x");
	enum znode_claim c;

	if (size >= 16) {
		memcpy(&owner, data, sizeof(owner));
		memcpy(&session, data + 8, sizeof(session));
	}
	if (size > 0 && (data[0] & 4))
		session = owner;
	c = znode_claim(name, prefix, owner, session, want, have);
	if (strncmp(name, prefix, strlen(prefix)) != 0)
		check(c == CLAIM_IGNORE, "claim: a name without our prefix");
	else if (owner == session && session != 0 && want && !have)
		check(c == CLAIM_ADOPT, "claim: ours, but not adopted");
	else
		check(c == CLAIM_DELETE, "claim: an old node of ours not deleted");
	free(prefix);
}

/* Encode A, decode it again: the same announcement. */
static void
round_trip(const struct announce *a)
{
	struct announce b;
	size_t len;
	char *buf = announce_encode(a, &len);

	check(announce_decode(buf, len, &b), "announce: an encoded one does not decode");
	check(b.epoch == a->epoch, "announce: the epoch changed");
	check(strcmp(b.znode, a->znode) == 0, "announce: the znode changed");
	check(strcmp(b.id, a->id) == 0, "announce: the id changed");
	check(strcmp(b.data, a->data != NULL ? a->data : "") == 0, "announce: the data changed");
	announce_free(&b);
	free(buf);
}

/* Decode the input as an announcement; encode one from a parsed name and the input. */
static void
fuzz_announce(const uint8_t *data, size_t size, char **names, size_t n)
{
	struct announce a, mine;
	struct znode_name zn;
	uint64_t epoch;

	if (announce_decode((const char *)data, size, &a)) {
		check(a.epoch >= 0 && znode_valid_id(a.id), "announce: a bad epoch or id");
		check(a.znode[0] != '\0' && strchr(a.znode, '/') == NULL, "announce: a bad znode");
		round_trip(&a);
		announce_free(&a);
	}
	for (size_t i = 0; i < n; i++) {
		if (!znode_parse(names[i], &zn))
			continue;
		epoch = 0;
		if (size >= sizeof(epoch))
			memcpy(&epoch, data, sizeof(epoch));
		mine.epoch = (int64_t)(epoch >> 1);	/* never negative */
		mine.znode = names[i];
		mine.id = zn.id;
		mine.data = names[n - 1];
		round_trip(&mine);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *names[MAX_NAMES];
	size_t n = split(data, size, names);

	fuzz_names(names, n, data, size);
	fuzz_announce(data, size, names, n);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return 0;
}
