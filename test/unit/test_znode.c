/* Unit tests for znode names, election order and the leader announcement (rules 1, 2, 20). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "znode.h"

#define G "0123456789abcdef"

/* A well-formed name parses into guid, id and sequence. */
static void
test_parse_ok(void **state)
{
	struct znode_name z;

	(void)state;
	assert_true(znode_parse("n_" G "_db-1.x_y-0000000042", &z));
	assert_string_equal(z.guid, G);
	assert_string_equal(z.id, "db-1.x_y");
	assert_int_equal(z.seq, 42);
}

/* Names that are not ours are ignored (rule 2). */
static void
test_parse_rejects(void **state)
{
	struct znode_name z;
	static const char *const bad[] = {
		"leader", "", "n_", "n_" G "_-0000000001", "n_" G "_db1-000000001",
		"n_" G "_db1-00000000012", "n_0123456789abcdeF_db1-0000000001",
		"x_" G "_db1-0000000001", "n_" G "db1-0000000001", "n_" G "_db1_0000000001",
		"n_" G "_db 1-0000000001", "n_" G "_db1-00000000a1", "lock-0000000001",
		"_c_" G "-lock-0000000001",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(znode_parse(bad[i], &z));
}

/* The counter is signed 32-bit: "%010d" of a negative number still parses. */
static void
test_parse_negative_seq(void **state)
{
	struct znode_name z;

	(void)state;
	assert_true(znode_parse("n_" G "_db1--000000001", &z));
	assert_int_equal(z.seq, -1);
	assert_string_equal(z.id, "db1");
	assert_true(znode_parse("n_" G "_db1-2147483647", &z));
	assert_int_equal(z.seq, INT32_MAX);
	assert_false(znode_parse("n_" G "_db1-2147483648", &z));
}

/* Order is by the sequence suffix, not by the whole name (rule 2). */
static void
test_sort_by_sequence(void **state)
{
	char *children[] = {
		"n_ffffffffffffffff_a-0000000010",
		"leader",
		"n_0000000000000000_zzz-0000000003",
		"garbage-0000000001",
		"n_aaaaaaaaaaaaaaaa_b-0000000007",
	};
	struct znode_name out[5];
	size_t n;

	(void)state;
	n = znode_sort(children, 5, out);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].seq, 3);
	assert_int_equal(out[1].seq, 7);
	assert_int_equal(out[2].seq, 10);
	assert_string_equal(out[0].id, "zzz");
}

/* The prefix identifies our own nodes after a lost create reply (rule 1). */
static void
test_prefix_and_guid(void **state)
{
	char g1[ZNODE_GUID_LEN + 1], g2[ZNODE_GUID_LEN + 1];
	char *p, name[128];
	struct znode_name z;

	(void)state;
	znode_new_guid(g1);
	znode_new_guid(g2);
	assert_int_equal(strlen(g1), ZNODE_GUID_LEN);
	assert_string_not_equal(g1, g2);
	p = znode_prefix(g1, "db1");
	snprintf(name, sizeof(name), "%s0000000005", p);
	assert_true(znode_parse(name, &z));
	assert_string_equal(z.guid, g1);
	assert_int_equal(strncmp(name, p, strlen(p)), 0);
	free(p);
}

/* Ids: [A-Za-z0-9._-], 1..128 bytes. */
static void
test_valid_id(void **state)
{
	char longid[130];

	(void)state;
	assert_true(znode_valid_id("db1"));
	assert_true(znode_valid_id("a.b_c-D9"));
	assert_false(znode_valid_id(""));
	assert_false(znode_valid_id("a b"));
	assert_false(znode_valid_id("a/b"));
	assert_false(znode_valid_id("é"));
	memset(longid, 'a', 128);
	longid[128] = '\0';
	assert_true(znode_valid_id(longid));
	longid[128] = 'a';
	longid[129] = '\0';
	assert_false(znode_valid_id(longid));
}

/* The announcement round-trips whatever the data holds. */
static void
test_announce_roundtrip(void **state)
{
	struct announce a = { 4294967301LL, "n_" G "_db1-0000000001", "db1",
	    "host='x' $(rm -rf /)\n`id`\t\\" }, b;
	size_t len;
	char *buf;

	(void)state;
	buf = announce_encode(&a, &len);
	assert_true(announce_decode(buf, len, &b));
	assert_int_equal(b.epoch, a.epoch);
	assert_string_equal(b.znode, a.znode);
	assert_string_equal(b.id, a.id);
	assert_string_equal(b.data, a.data);
	announce_free(&b);
	free(buf);
}

/* Foreign or damaged announcements are refused. */
static void
test_announce_rejects(void **state)
{
	struct announce b;
	static const char *const bad[] = {
		"", "hello", "zkelectd-leader 1 \n", "zkelectd-leader 1 12 n_x\n",
		"zkelectd-leader 1 -5 n_x db1\n", "zkelectd-leader 1 x n_x db1\n",
		"zkelectd-leader 1 5 n_x db 1\n", "zkelectd-leader 1 5 a/b db1\n",
		"zkelectd-leader 2 5 n_x db1\n", "zkelectd-leader 1 5 n_x db1",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(announce_decode(bad[i], strlen(bad[i]), &b));
	assert_false(announce_decode(NULL, 0, &b));
}

/* Rule 1: adopt only our own prefix from our current session; delete other nodes of ours. */
static void
test_claim(void **state)
{
	const char *prefix = "n_" G "_db1-";
	const char *mine = "n_" G "_db1-0000000007";
	const char *other_process = "n_ffffffffffffffff_db1-0000000003";

	(void)state;
	assert_int_equal(znode_claim(mine, prefix, 42, 42, true, false), CLAIM_ADOPT);
	/* from an older session of ours (our own clock gave it up): delete */
	assert_int_equal(znode_claim(mine, prefix, 41, 42, true, false), CLAIM_DELETE);
	/* already holding one, or not wanting one any more: delete the extra */
	assert_int_equal(znode_claim(mine, prefix, 42, 42, true, true), CLAIM_DELETE);
	assert_int_equal(znode_claim(mine, prefix, 42, 42, false, false), CLAIM_DELETE);
	/* same id, another process (a lingering node after a crash: rule 17): not ours */
	assert_int_equal(znode_claim(other_process, prefix, 42, 42, true, false), CLAIM_IGNORE);
	assert_int_equal(znode_claim("leader", prefix, 0, 42, true, false), CLAIM_IGNORE);
	assert_int_equal(znode_claim(mine, prefix, 0, 0, true, false), CLAIM_DELETE);
}

/* The contender header carries the priority; anything else is all data, priority 100. */
static void
test_contender(void **state)
{
	size_t len, off;
	char *buf;

	(void)state;
	buf = contender_encode(7, "host=db1\nport=5432", &len);
	assert_int_equal(contender_decode(buf, len, &off), 7);
	assert_string_equal(buf + off, "host=db1\nport=5432");
	free(buf);
	buf = contender_encode(0, "", &len);
	assert_int_equal(contender_decode(buf, len, &off), 0);
	assert_int_equal(off, len);
	free(buf);
	assert_int_equal(contender_decode("db1", 3, &off), CONTENDER_PRIORITY_DEFAULT);
	assert_int_equal(off, 0);
	assert_int_equal(contender_decode("zkelectd-contender 1 256\nx", 26, &off),
	    CONTENDER_PRIORITY_DEFAULT);
	assert_int_equal(off, 0);
	assert_int_equal(contender_decode("zkelectd-contender 1 12", 23, &off),
	    CONTENDER_PRIORITY_DEFAULT);
	assert_int_equal(contender_decode("zkelectd-contender 1 x\n", 23, &off),
	    CONTENDER_PRIORITY_DEFAULT);
	assert_int_equal(contender_decode(NULL, 0, &off), CONTENDER_PRIORITY_DEFAULT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_negative_seq),
		cmocka_unit_test(test_sort_by_sequence),
		cmocka_unit_test(test_prefix_and_guid),
		cmocka_unit_test(test_valid_id),
		cmocka_unit_test(test_announce_roundtrip),
		cmocka_unit_test(test_announce_rejects),
		cmocka_unit_test(test_claim),
		cmocka_unit_test(test_contender),
	};

	return cmocka_run_group_tests_name("znode", tests, NULL, NULL);
}
