/* test_config: zkelectd.conf parsing and validation, one operator mistake at a time. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"

/* A valid minimal file of 8 lines: whatever a test appends starts at line 9. */
#define BASE \
	"[zookeeper]\n" \
	"hosts = zk1:2181,zk2:2181,zk3:2181\n" \
	"[election]\n" \
	"path = /zkelectd/test\n" \
	"id = db1\n" \
	"[hooks]\n" \
	"promote = /bin/true\n" \
	"demote = /bin/true\n"

static char tmpdir[] = "/tmp/test_config.XXXXXX";
static char conf_path[64];
static char warnings[4096];

static int setup(void **);
static int teardown(void **);
static const char *write_conf(const char *);
static struct config *load_ok(const char *, int);
static void expect_errors(const char *, int, ...);
static void expect_one(const char *, const char *);
static char *long_line(const char *, size_t);
static void collect_warning(const char *);
static const char *make_file(const char *, const char *, mode_t);
static int bad_hostname_child(void);

/* Make the temporary directory every test writes into. */
static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/zkelectd.conf", tmpdir);
	return 0;
}

/* Remove the temporary directory and what the tests left in it. */
static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write TEXT as the configuration file (mode 600) and return its name. */
static const char *
write_conf(const char *text)
{
	FILE *fp;

	unlink(conf_path);
	fp = fopen(conf_path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(conf_path, 0600), 0);
	return conf_path;
}

/* Create NAME in the temporary directory with CONTENT and MODE; return its path. */
static const char *
make_file(const char *name, const char *content, mode_t mode)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(content, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* Load TEXT and fail the test (showing every problem) unless it is valid. */
static struct config *
load_ok(const char *text, int flags)
{
	struct config_error *errors, *e;
	struct config *cfg;

	cfg = config_load(write_conf(text), flags, &errors);
	for (e = errors; e != NULL; e = e->next)
		print_error("unexpected: %s\n", e->text);
	assert_null(errors);
	assert_non_null(cfg);
	return cfg;
}

/* Load TEXT and expect exactly the problems given ("LINE: message", NULL-terminated). */
static void
expect_errors(const char *text, int flags, ...)
{
	struct config_error *errors, *e;
	const char *want;
	char full[1024];
	va_list ap;

	assert_null(config_load(write_conf(text), flags, &errors));
	va_start(ap, flags);
	for (e = errors; (want = va_arg(ap, const char *)) != NULL; e = e->next) {
		snprintf(full, sizeof(full), "%s:%s", conf_path, want);
		if (e == NULL)
			fail_msg("missing problem: %s", full);
		assert_string_equal(e->text, full);
	}
	va_end(ap);
	if (e != NULL)
		fail_msg("unexpected extra problem: %s", e->text);
	config_errors_free(errors);
}

/* BASE plus LINES must give exactly one problem, WANT. */
static void
expect_one(const char *lines, const char *want)
{
	char text[4096];

	snprintf(text, sizeof(text), "%s%s", BASE, lines);
	expect_errors(text, 0, want, NULL);
}

/* "PREFIX" padded with 'x' to exactly LEN bytes, then a newline (malloc'd). */
static char *
long_line(const char *prefix, size_t len)
{
	char *s = malloc(len + 2);

	assert_non_null(s);
	memset(s, 'x', len);
	memcpy(s, prefix, strlen(prefix));
	s[len] = '\n';
	s[len + 1] = '\0';
	return s;
}

/* config_warnings callback: append to the warnings buffer. */
static void
collect_warning(const char *msg)
{
	strncat(warnings, msg, sizeof(warnings) - strlen(warnings) - 2);
	strcat(warnings, "\n");
}

/* Every key of the contract, set to a non-default value. */
static void
test_full_config(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(
	    "; a comment\n# another\n\n"
	    "[zookeeper]\n"
	    "hosts = zk1:2181,zk2:2182,zk3:2183/apps/db\n"
	    "session_timeout = 30s\n"
	    "auth = digest:alice:s3cret:x\n"
	    "[election]\n"
	    "path = /zkelectd/orders-db\n"
	    "id = db-1.example_a\n"
	    "data = host=10.0.0.5 port=5432\n"
	    "mode = candidate\n"
	    "disconnect_grace = 2500ms\n"
	    "demote_on_start = no\n"
	    "[hooks]\n"
	    "promote = /etc/hooks/promote --fast\n"
	    "demote  = /etc/hooks/demote\n"
	    "follow\t= /etc/hooks/follow\targ\n"
	    "timeout = 2m\n"
	    "promote_timeout = 90s\n"
	    "on_promote_failure = stay\n"
	    "promote_backoff = 1m\n"
	    "[health]   ; the service's own check\n"
	    "command = /etc/hooks/health -q\n"
	    "interval = 2s\n"
	    "timeout = 1500ms\n"
	    "fall = 5\n"
	    "rise = 4\n"
	    "[daemon]\n"
	    "pid_file = /var/run/z.pid\n"
	    "state_file = /var/run/z.state\n"
	    "log_level = debug\n"
	    "[status]\n"
	    "listen = [::1]:8008\n", 0);
	assert_string_equal(cfg->file, conf_path);
	assert_string_equal(cfg->hosts, "zk1:2181,zk2:2182,zk3:2183/apps/db");
	assert_int_equal(cfg->session_timeout_ms, 30000);
	assert_string_equal(cfg->auth_scheme, "digest");
	assert_string_equal(cfg->auth_cred, "alice:s3cret:x");
	assert_string_equal(cfg->path, "/zkelectd/orders-db");
	assert_string_equal(cfg->id, "db-1.example_a");
	assert_string_equal(cfg->data, "host=10.0.0.5 port=5432");
	assert_int_equal(cfg->mode, MODE_CANDIDATE);
	assert_int_equal(cfg->disconnect_grace_ms, 2500);
	assert_int_equal(cfg->demote_on_start, STARTUP_DEMOTE_NO);
	assert_int_equal(cfg->promote.argc, 2);
	assert_string_equal(cfg->promote.argv[0], "/etc/hooks/promote");
	assert_string_equal(cfg->promote.argv[1], "--fast");
	assert_null(cfg->promote.argv[2]);
	assert_int_equal(cfg->promote.line, 16);
	assert_int_equal(cfg->demote.argc, 1);
	assert_int_equal(cfg->follow.argc, 2);
	assert_string_equal(cfg->follow.argv[1], "arg");
	assert_int_equal(cfg->promote_timeout_ms, 90000);
	assert_int_equal(cfg->demote_timeout_ms, 120000);
	assert_int_equal(cfg->follow_timeout_ms, 120000);
	assert_int_equal(cfg->on_promote_failure, PROMOTE_FAILURE_STAY);
	assert_int_equal(cfg->promote_backoff_ms, 60000);
	assert_true(cfg->health_enabled);
	assert_int_equal(cfg->health_line, 23);
	assert_int_equal(cfg->health.argc, 2);
	assert_int_equal(cfg->health.line, 24);
	assert_int_equal(cfg->health_interval_ms, 2000);
	assert_int_equal(cfg->health_timeout_ms, 1500);
	assert_int_equal(cfg->health_fall, 5);
	assert_int_equal(cfg->health_rise, 4);
	assert_string_equal(cfg->pid_file, "/var/run/z.pid");
	assert_string_equal(cfg->state_file, "/var/run/z.state");
	assert_int_equal(cfg->log_level, LOG_DEBUG);
	assert_string_equal(cfg->status_listen, "[::1]:8008");
	assert_int_equal(cfg->status_line, 34);
	config_free(cfg);
}

/* A minimal file gets every documented default. */
static void
test_defaults(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(BASE, 0);
	assert_int_equal(cfg->session_timeout_ms, 10000);
	assert_null(cfg->auth_scheme);
	assert_null(cfg->auth_cred);
	assert_string_equal(cfg->data, "db1");
	assert_int_equal(cfg->mode, MODE_CANDIDATE);
	assert_int_equal(cfg->disconnect_grace_ms, 0);
	assert_int_equal(cfg->demote_on_start, STARTUP_DEMOTE_UNLESS_LEADER);
	assert_null(cfg->follow.argv);
	assert_int_equal(cfg->follow.argc, 0);
	assert_int_equal(cfg->promote_timeout_ms, 60000);
	assert_int_equal(cfg->demote_timeout_ms, 60000);
	assert_int_equal(cfg->follow_timeout_ms, 60000);
	assert_int_equal(cfg->on_promote_failure, PROMOTE_FAILURE_RESIGN);
	assert_int_equal(cfg->promote_backoff_ms, 5000);
	assert_false(cfg->health_enabled);
	assert_null(cfg->health.argv);
	assert_int_equal(cfg->health_interval_ms, 5000);
	assert_int_equal(cfg->health_timeout_ms, 5000);
	assert_int_equal(cfg->health_fall, 3);
	assert_int_equal(cfg->health_rise, 2);
	assert_string_equal(cfg->pid_file, "/run/zkelectd/zkelectd.pid");
	assert_string_equal(cfg->state_file, "/run/zkelectd/zkelectd.state");
	assert_int_equal(cfg->log_level, LOG_INFO);
	assert_null(cfg->status_listen);
	config_free(cfg);
}

/* Without id the host name is the id (and the data). */
static void
test_default_id_is_hostname(void **state)
{
	struct config *cfg;
	char host[256];

	(void)state;
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	if (strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
	    != strlen(host))
		skip();
	cfg = load_ok("[zookeeper]\nhosts = a:1,b:1,c:1\n[election]\npath = /p\n"
	    "mode = observer\n", 0);
	assert_string_equal(cfg->id, host);
	assert_string_equal(cfg->data, host);
	config_free(cfg);
}

/* Child: a new UTS namespace with an invalid host name; 0 when reported right, 77: skip. */
static int
bad_hostname_child(void)
{
	static const char host[] = "bad host!";
	struct config_error *errors;
	char want[512];

	if (unshare(CLONE_NEWUTS) != 0 || sethostname(host, strlen(host)) != 0)
		return 77;
	if (config_load(conf_path, 0, &errors) != NULL || errors == NULL)
		return 1;
	snprintf(want, sizeof(want), "%s:0: the host name \"%s\" is not a valid id (letters, "
	    "digits, '.', '_', '-'; at most 128 bytes): set id in [election]", conf_path, host);
	if (strcmp(errors->text, want) != 0 || errors->next != NULL) {
		fprintf(stderr, "got: %s\n", errors->text);
		return 1;
	}
	config_errors_free(errors);
	return 0;
}

/* Without id, a host name that is not a valid id is an error at line 0 saying to set id. */
static void
test_default_id_bad_hostname(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	write_conf("[zookeeper]\nhosts = a:1,b:1,c:1\n[election]\npath = /p\nmode = observer\n");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(bad_hostname_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* promote/demote/follow_timeout default to timeout, wherever timeout is written. */
static void
test_hook_timeouts_inherit(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(BASE "demote_timeout = 5s\ntimeout = 30s\n", 0);
	assert_int_equal(cfg->promote_timeout_ms, 30000);
	assert_int_equal(cfg->demote_timeout_ms, 5000);
	assert_int_equal(cfg->follow_timeout_ms, 30000);
	config_free(cfg);
	cfg = load_ok(BASE "follow_timeout = 1ms\npromote_timeout = 24h\n", 0);
	assert_int_equal(cfg->follow_timeout_ms, 1);
	assert_int_equal(cfg->promote_timeout_ms, 24 * 3600 * 1000LL);
	assert_int_equal(cfg->demote_timeout_ms, 60000);
	config_free(cfg);
}

/* A file that does not exist: one problem at line 0 with strerror. */
static void
test_missing_file(void **state)
{
	struct config_error *errors;
	char path[128], want[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/nonexistent.conf", tmpdir);
	assert_null(config_load(path, 0, &errors));
	assert_non_null(errors);
	snprintf(want, sizeof(want), "%s:0: cannot read the configuration file: %s", path,
	    strerror(ENOENT));
	assert_string_equal(errors->text, want);
	assert_null(errors->next);
	config_errors_free(errors);
}

/* A directory given as the file: one problem, "Is a directory". */
static void
test_directory(void **state)
{
	struct config_error *errors;
	char want[256];

	(void)state;
	assert_null(config_load(tmpdir, 0, &errors));
	snprintf(want, sizeof(want), "%s:0: cannot read the configuration file: %s", tmpdir,
	    strerror(EISDIR));
	assert_string_equal(errors->text, want);
	assert_null(errors->next);
	config_errors_free(errors);
}

/* An empty file lacks every required key, each reported at line 0. */
static void
test_empty_file(void **state)
{
	(void)state;
	expect_errors("", 0,
	    "0: missing required key \"hosts\" in [zookeeper]",
	    "0: missing required key \"path\" in [election]",
	    "0: missing required key \"promote\" in [hooks] (needed with mode = candidate)",
	    "0: missing required key \"demote\" in [hooks] (needed with mode = candidate)",
	    NULL);
}

/* An unknown section is reported once, its keys are not. */
static void
test_unknown_section(void **state)
{
	(void)state;
	expect_one("[hook]\npromote = /bin/x\nfoo = 1\n",
	    "9: unknown section [hook] (known: zookeeper, election, hooks, health, daemon, "
	    "status, watchdog)");
}

/* An unknown key names itself and its section. */
static void
test_unknown_key(void **state)
{
	(void)state;
	expect_one("[election]\nleader = yes\n", "10: unknown key \"leader\" in [election]");
	expect_one("Promote = /bin/true\n", "9: unknown key \"Promote\" in [hooks]");
}

/* A key before the first section header. */
static void
test_key_before_section(void **state)
{
	(void)state;
	expect_errors("; header\nhosts = a:1\n" BASE, 0,
	    "2: hosts: key before any [section] header", NULL);
}

/* A key given twice in a section: the second line names both. */
static void
test_duplicate_key(void **state)
{
	(void)state;
	expect_one("demote = /bin/false\n",
	    "9: demote: given twice in [hooks] (lines 8 and 9)");
}

/* A repeated section header does not make a repeated key legal. */
static void
test_duplicate_key_in_repeated_section(void **state)
{
	(void)state;
	expect_one("[zookeeper]\nsession_timeout = 5s\n[election]\nmode = candidate\n"
	    "[zookeeper]\nsession_timeout = 6s\n",
	    "14: session_timeout: given twice in [zookeeper] (lines 10 and 14)");
}

/* An indented line after a key would be an inih continuation: an error. */
static void
test_continuation_line(void **state)
{
	(void)state;
	expect_one("follow = /bin/true\n   /bin/false\n",
	    "10: indented line: inih would join it to the key above as a continuation; "
	    "remove the leading blanks");
	expect_one("[daemon]\n\tlog_level = debug\n",
	    "10: indented line: inih would join it to the key above as a continuation; "
	    "remove the leading blanks");
}

/* Indented comments and blank lines full of blanks are fine. */
static void
test_indented_comment_ok(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(BASE "timeout = 10s   ; per run\n    ; more about it\n\t# and more\n"
	    "   \t \n", 0);
	assert_int_equal(cfg->promote_timeout_ms, 10000);
	config_free(cfg);
}

/* An indented section header is rejected like any indented line. */
static void
test_indented_section(void **state)
{
	(void)state;
	expect_one("  [daemon]\n",
	    "9: indented line: inih would join it to the key above as a continuation; "
	    "remove the leading blanks");
}

/* A line of exactly 198 bytes is read whole. */
static void
test_line_198_ok(void **state)
{
	struct config *cfg;
	char text[1024], *line;

	(void)state;
	line = long_line("data = ", 198);
	snprintf(text, sizeof(text), "%s[election]\n%s", BASE, line);
	cfg = load_ok(text, 0);
	assert_int_equal(strlen(cfg->data), 198 - strlen("data = "));
	free(line);
	config_free(cfg);
}

/* A line of 199 bytes is an error with its line and the limit, never cut. */
static void
test_line_199_error(void **state)
{
	char text[1024], *line;

	(void)state;
	line = long_line("data = ", 199);
	snprintf(text, sizeof(text), "%s[election]\n%s", BASE, line);
	expect_errors(text, 0, "10: line too long: 199 bytes, at most 198 allowed", NULL);
	free(line);
}

/* After a very long line, line numbers stay right and parsing goes on. */
static void
test_long_line_keeps_counting(void **state)
{
	char text[4096], *line;

	(void)state;
	line = long_line("; ", 1000);
	snprintf(text, sizeof(text), "%s%s%s[election]\nbogus = 1\n", BASE, line, line);
	expect_errors(text, 0,
	    "9: line too long: 1000 bytes, at most 198 allowed",
	    "10: line too long: 1000 bytes, at most 198 allowed",
	    "12: unknown key \"bogus\" in [election]", NULL);
	free(line);
}

/* CRLF line endings: the CR is not part of the line or the value. */
static void
test_crlf(void **state)
{
	struct config *cfg;
	char text[1024], *line;

	(void)state;
	line = long_line("data = ", 198);
	line[198] = '\r';
	snprintf(text, sizeof(text), "%s[election]\r\nmode = observer\r\n%s\n", BASE, line);
	cfg = load_ok(text, 0);
	assert_int_equal(cfg->mode, MODE_OBSERVER);
	assert_int_equal(strlen(cfg->data), 191);
	free(line);
	config_free(cfg);
}

/* A UTF-8 byte order mark at the start is ignored. */
static void
test_bom(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok("\xEF\xBB\xBF" BASE, 0);
	assert_string_equal(cfg->id, "db1");
	config_free(cfg);
}

/* A NUL byte in a line is reported, not silently cut. */
static void
test_nul_byte(void **state)
{
	FILE *fp;
	struct config_error *errors;
	char want[256];

	(void)state;
	write_conf(BASE);
	fp = fopen(conf_path, "a");
	assert_non_null(fp);
	fwrite("data = a\0b\n", 1, 11, fp);
	fclose(fp);
	assert_null(config_load(conf_path, 0, &errors));
	snprintf(want, sizeof(want), "%s:9: line contains a NUL byte", conf_path);
	assert_string_equal(errors->text, want);
	assert_null(errors->next);
	config_errors_free(errors);
}

/* Lines that are neither [section], key = value, comment nor blank. */
static void
test_syntax_errors(void **state)
{
	(void)state;
	expect_one("promote\n",
	    "9: syntax error: expected \"key = value\", \"[section]\" or a comment");
	expect_one("foo ; = bar\n",
	    "9: syntax error: expected \"key = value\", \"[section]\" or a comment");
	expect_one("= /bin/true\n", "9: syntax error: a value without a key name");
	expect_one("[daemon\n", "9: syntax error: expected a section header \"[name]\"");
	expect_one("[daemon] log_level = debug\n",
	    "9: syntax error: expected a section header \"[name]\"");
	expect_one("[]\n", "9: syntax error: expected a section header \"[name]\"");
}

/* Keys under a malformed section header are not reported again. */
static void
test_keys_after_bad_header_skipped(void **state)
{
	(void)state;
	expect_one("[daemon\nlog_level = loud\n",
	    "9: syntax error: expected a section header \"[name]\"");
}

/* inih's inline comment (" ;") ends a value; ';' without a blank does not. */
static void
test_inline_comment(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(BASE "[election]\ndata = a;b c ; comment\n", 0);
	assert_string_equal(cfg->data, "a;b c");
	config_free(cfg);
}

/* A key without a value is an error, not a silent default. */
static void
test_empty_value(void **state)
{
	(void)state;
	expect_one("follow =\n", "9: follow: empty value (to use the default, leave the key out)");
	expect_one("timeout = ; nothing\n",
	    "9: timeout: empty value (to use the default, leave the key out)");
}

/* session_timeout: what a duration is, and its range. */
static void
test_session_timeout(void **state)
{
	(void)state;
	expect_one("[zookeeper]\nsession_timeout = 10x\n",
	    "10: session_timeout: \"10x\" is not a duration (use e.g. 500ms, 10s, 2m)");
	expect_one("[zookeeper]\nsession_timeout = 99ms\n",
	    "10: session_timeout: 99ms is out of range (100ms..10m)");
	expect_one("[zookeeper]\nsession_timeout = 601\n",
	    "10: session_timeout: 601s is out of range (100ms..10m)");
}

/* hosts: HOST:PORT lists, ports, blanks, chroot. */
static void
test_hosts(void **state)
{
	static const char *const good[] = {
		"zk1:2181", "10.0.0.1:1,10.0.0.2:65535,zk-3.example.com:2181",
		"::1:2181", "zk1:2181,zk2:2181,zk3:2181/a/b.c",
	};
	static const char *const bad[][2] = {
		{ "zk1", "\"zk1\" is not HOST:PORT (port 1..65535) in \"zk1\"" },
		{ "zk1:0", "\"zk1:0\" is not HOST:PORT (port 1..65535) in \"zk1:0\"" },
		{ "zk1:65536", "\"zk1:65536\" is not HOST:PORT (port 1..65535) in \"zk1:65536\"" },
		{ "zk1:21a", "\"zk1:21a\" is not HOST:PORT (port 1..65535) in \"zk1:21a\"" },
		{ ":2181", "\":2181\" is not HOST:PORT (port 1..65535) in \":2181\"" },
		{ "a:1,,b:1", "\"\" is not HOST:PORT (port 1..65535) in \"a:1,,b:1\"" },
		{ "a:1, b:1", "\"a:1, b:1\" contains blanks" },
		{ "a:1/", "chroot \"/\" is the root; name a node below it" },
		{ "a:1/x/", "chroot \"/x/\" ends with a slash" },
		{ "a:1/x//y", "chroot \"/x//y\" has an empty, \".\" or \"..\" component" },
		{ "/x", "\"\" is not HOST:PORT (port 1..65535) in \"/x\"" },
	};
	char line[256], want[256];
	struct config *cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(line, sizeof(line), "[zookeeper]\nhosts = %s\n"
		    "[election]\npath = /p\nid = x\nmode = observer\n", good[i]);
		cfg = load_ok(line, 0);
		assert_string_equal(cfg->hosts, good[i]);
		config_free(cfg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "[zookeeper]\nhosts = %s\n"
		    "[election]\npath = /p\nid = x\nmode = observer\n", bad[i][0]);
		snprintf(want, sizeof(want), "2: hosts: %s", bad[i][1]);
		expect_errors(line, 0, want, NULL);
	}
}

/* auth: digest:USER:PASSWORD only; the password never appears in a message. */
static void
test_auth(void **state)
{
	static const char *const bad[] = {
		"sasl:bob:pw", "digest:bob", "digest::pw", "digest:bob:", "digest", "bob:pw",
	};
	static const char *const msg[] = {
		"10: auth: only the digest scheme is supported (auth = digest:USER:PASSWORD)",
		"10: auth: expected digest:USER:PASSWORD with a non-empty user and password",
	};
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s[zookeeper]\nauth = %s\n", BASE, bad[i]);
		expect_errors(text, 0,
		    msg[strncmp(bad[i], "digest:", 7) == 0 ? 1 : 0], NULL);
	}
}

/* path: absolute, clean, not the root, not under /zookeeper. */
static void
test_election_path(void **state)
{
	static const char *const bad[][2] = {
		{ "zkelectd/x", "is not an absolute path" },
		{ "/", "is the root; name a node below it" },
		{ "/zkelectd/", "ends with a slash" },
		{ "/a//b", "has an empty, \".\" or \"..\" component" },
		{ "/a/./b", "has an empty, \".\" or \"..\" component" },
		{ "/a/..", "has an empty, \".\" or \"..\" component" },
		{ "/zookeeper", "is under /zookeeper, which ZooKeeper keeps for itself" },
		{ "/zookeeper/quota/x", "is under /zookeeper, which ZooKeeper keeps for itself" },
	};
	char text[512], want[256];
	struct config *cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[zookeeper]\nhosts = a:1\n[election]\n"
		    "path = %s\nid = x\nmode = observer\n", bad[i][0]);
		snprintf(want, sizeof(want), "4: path: \"%s\" %s", bad[i][0], bad[i][1]);
		expect_errors(text, 0, want, NULL);
	}
	cfg = load_ok("[zookeeper]\nhosts = a:1\n[election]\npath = /zookeeperx/..a\nid = x\n"
	    "mode = observer\n", 0);
	assert_string_equal(cfg->path, "/zookeeperx/..a");
	config_free(cfg);
}

/* id: [A-Za-z0-9._-], 1..128 bytes. */
static void
test_id(void **state)
{
	char text[1024], want[512], id[130];
	struct config *cfg;

	(void)state;
	memset(id, 'a', 128);
	id[128] = '\0';
	snprintf(text, sizeof(text), "[zookeeper]\nhosts = a:1\n[election]\npath = /p\n"
	    "id = %s\nmode = observer\n", id);
	cfg = load_ok(text, 0);
	assert_string_equal(cfg->id, id);
	assert_string_equal(cfg->data, id);
	config_free(cfg);
	strcat(id, "a");
	snprintf(text, sizeof(text), "[zookeeper]\nhosts = a:1\n[election]\npath = /p\n"
	    "id = %s\nmode = observer\n", id);
	snprintf(want, sizeof(want), "5: id: \"%s\" is not a valid id (letters, digits, '.', "
	    "'_', '-'; at most 128 bytes)", id);
	expect_errors(text, 0, want, NULL);
	expect_errors("[zookeeper]\nhosts = a:1\n[election]\npath = /p\nid = db/1\n"
	    "mode = observer\n", 0, "5: id: \"db/1\" is not a valid id (letters, digits, '.', "
	    "'_', '-'; at most 128 bytes)", NULL);
}

/* Observers need no hooks at all. */
static void
test_observer_without_hooks(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok("[zookeeper]\nhosts = a:1,b:1,c:1\n[election]\npath = /p\nid = o1\n"
	    "mode = observer\n", 0);
	assert_int_equal(cfg->mode, MODE_OBSERVER);
	assert_null(cfg->promote.argv);
	assert_null(cfg->demote.argv);
	config_free(cfg);
}

/* A candidate needs both promote and demote. */
static void
test_candidate_needs_hooks(void **state)
{
	(void)state;
	expect_errors("[zookeeper]\nhosts = a:1\n[election]\npath = /p\nid = c\n[hooks]\n"
	    "promote = /bin/true\n", 0,
	    "0: missing required key \"demote\" in [hooks] (needed with mode = candidate)",
	    NULL);
}

/* mode and on_promote_failure take one of their words. */
static void
test_enum_values(void **state)
{
	struct config *cfg;

	(void)state;
	expect_one("[election]\nmode = leader\n",
	    "10: mode: \"leader\" is not candidate or observer");
	expect_one("on_promote_failure = retry\n",
	    "9: on_promote_failure: \"retry\" is not resign or stay");
	cfg = load_ok(BASE "on_promote_failure = resign\n", 0);
	assert_int_equal(cfg->on_promote_failure, PROMOTE_FAILURE_RESIGN);
	config_free(cfg);
}

/* disconnect_grace must stay below session_timeout / 3, named on its own line. */
static void
test_disconnect_grace(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(BASE "[election]\ndisconnect_grace = 3333ms\n", 0);
	assert_int_equal(cfg->disconnect_grace_ms, 3333);
	config_free(cfg);
	expect_one("[election]\ndisconnect_grace = 3334ms\n",
	    "10: disconnect_grace: 3.334s must be below session_timeout / 3 "
	    "(session_timeout is 10s, the default)");
	expect_one("[election]\ndisconnect_grace = 10s\n[zookeeper]\nsession_timeout = 30s\n",
	    "10: disconnect_grace: 10s must be below session_timeout / 3 "
	    "(session_timeout is 30s)");
	expect_one("[zookeeper]\nsession_timeout = 300ms\n[election]\ndisconnect_grace = 100ms\n",
	    "12: disconnect_grace: 100ms must be below session_timeout / 3 "
	    "(session_timeout is 300ms)");
	/* A bad session_timeout is reported alone, without a derived complaint. */
	expect_one("[zookeeper]\nsession_timeout = 1x\n[election]\ndisconnect_grace = 5m\n",
	    "10: session_timeout: \"1x\" is not a duration (use e.g. 500ms, 10s, 2m)");
}

/* demote_on_start: unless-leader, or the boolean words in any case. */
static void
test_demote_on_start(void **state)
{
	static const char *const words[] = {
		"yes", "no", "true", "false", "on", "off", "1", "0", "YES", "Off",
	};
	char text[512];
	struct config *cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		snprintf(text, sizeof(text), "%s[election]\ndemote_on_start = %s\n", BASE, words[i]);
		cfg = load_ok(text, 0);
		assert_int_equal(cfg->demote_on_start, i % 2 == 0 ? STARTUP_DEMOTE_YES :
		    STARTUP_DEMOTE_NO);
		config_free(cfg);
	}
	cfg = load_ok(BASE "[election]\ndemote_on_start = unless-leader\n", 0);
	assert_int_equal(cfg->demote_on_start, STARTUP_DEMOTE_UNLESS_LEADER);
	config_free(cfg);
	expect_one("[election]\ndemote_on_start = maybe\n",
	    "10: demote_on_start: \"maybe\" is not unless-leader, yes or no (also true/false, "
	    "on/off, 1/0)");
}

/* Hook timeouts and promote_backoff ranges. */
static void
test_hook_durations(void **state)
{
	struct config *cfg;

	(void)state;
	expect_one("timeout = 0\n", "9: timeout: 0s is out of range (1ms..24h)");
	expect_one("demote_timeout = 25h\n", "9: demote_timeout: 25h is out of range (1ms..24h)");
	expect_one("promote_backoff = 61m\n",
	    "9: promote_backoff: 61m is out of range (0s..1h)");
	expect_one("follow_timeout = 1.5s\n",
	    "9: follow_timeout: \"1.5s\" is not a duration (use e.g. 500ms, 10s, 2m)");
	cfg = load_ok(BASE "promote_backoff = 0\n", 0);
	assert_int_equal(cfg->promote_backoff_ms, 0);
	config_free(cfg);
}

/* A command must start with an absolute path. */
static void
test_relative_command(void **state)
{
	(void)state;
	expect_errors("[zookeeper]\nhosts = a:1\n[election]\npath = /p\nid = c\n[hooks]\n"
	    "promote = hooks/promote up\ndemote = /bin/true\n", 0,
	    "7: promote: \"hooks/promote\" is not an absolute path (commands run without a "
	    "shell: give the full path)", NULL);
}

/* [health]: defaults, its header line, even when the section is otherwise empty. */
static void
test_health_section(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(BASE "[health]\ncommand = /bin/true\n", 0);
	assert_true(cfg->health_enabled);
	assert_int_equal(cfg->health_line, 9);
	assert_int_equal(cfg->health_fall, 3);
	assert_int_equal(cfg->health_rise, 2);
	config_free(cfg);
	expect_one("[health]\n", "0: missing required key \"command\" in [health] "
	    "(the section at line 9 needs one, or remove the section)");
	expect_one("[health]\n; no command\n[daemon]\n", "0: missing required key \"command\" "
	    "in [health] (the section at line 9 needs one, or remove the section)");
}

/* [health] fall and rise: whole numbers 1..100. */
static void
test_health_counts(void **state)
{
	(void)state;
	expect_one("[health]\ncommand = /bin/true\nfall = 0\n",
	    "11: fall: \"0\" is not a whole number from 1 to 100");
	expect_one("[health]\ncommand = /bin/true\nrise = 101\n",
	    "11: rise: \"101\" is not a whole number from 1 to 100");
	expect_one("[health]\ncommand = /bin/true\nrise = +2\n",
	    "11: rise: \"+2\" is not a whole number from 1 to 100");
	expect_one("[health]\ncommand = /bin/true\ninterval = 50ms\n",
	    "11: interval: 50ms is out of range (100ms..1h)");
}

/* [daemon]: absolute file names, log levels. */
static void
test_daemon_section(void **state)
{
	struct config *cfg;

	(void)state;
	expect_one("[daemon]\npid_file = run/z.pid\n",
	    "10: pid_file: \"run/z.pid\" is not an absolute file name");
	expect_one("[daemon]\nstate_file = /run/zkelectd/\n",
	    "10: state_file: \"/run/zkelectd/\" is not an absolute file name");
	expect_one("[daemon]\nlog_level = verbose\n",
	    "10: log_level: \"verbose\" is not one of debug, info, notice, warning, error");
	cfg = load_ok(BASE "[daemon]\nlog_level = warning\n", 0);
	assert_int_equal(cfg->log_level, LOG_WARNING);
	config_free(cfg);
}

/* [status] listen: HOST:PORT, [IPv6]:PORT. */
static void
test_status_listen(void **state)
{
	static const char *const good[] = {
		"127.0.0.1:8008", "[::1]:8008", "localhost:80", "0.0.0.0:65535", "[::]:1",
	};
	static const char *const bad[] = {
		"::1:8008", "127.0.0.1", "127.0.0.1:0", ":8008", "[::1]8008", "[zz]:80",
		"host name:80", "[::1]:",
	};
	char text[512], want[256];
	struct config *cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "%s[status]\nlisten = %s\n", BASE, good[i]);
		cfg = load_ok(text, 0);
		assert_string_equal(cfg->status_listen, good[i]);
		assert_int_equal(cfg->status_line, 10);
		config_free(cfg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s[status]\nlisten = %s\n", BASE, bad[i]);
		snprintf(want, sizeof(want), "10: listen: \"%s\" is not HOST:PORT with a port "
		    "1..65535 (e.g. 127.0.0.1:8008 or [::1]:8008)", bad[i]);
		expect_errors(text, 0, want, NULL);
	}
}

/* config_host_port: the host and port it splits out, in both syntaxes. */
static void
test_host_port(void **state)
{
	static const struct {
		const char *s;
		bool brackets;
		const char *host;	/* NULL: rejected */
		int port;
	} cases[] = {
		{ "127.0.0.1:8008", true, "127.0.0.1", 8008 },
		{ "[::1]:8008", true, "::1", 8008 },
		{ "db-1.example_x:65535", true, "db-1.example_x", 65535 },
		{ "::1:8008", true, NULL, 0 },
		{ "[::1]:8008", false, NULL, 0 },
		{ "::1:2181", false, "::1", 2181 },
		{ "zk1:2181", false, "zk1", 2181 },
		{ "zk1:+2181", false, NULL, 0 },
		{ "zk1:0", false, NULL, 0 },
		{ "zk1:65536", false, NULL, 0 },
		{ ":2181", false, NULL, 0 },
		{ "[::1]:", true, NULL, 0 },
		{ "[]:80", true, NULL, 0 },
	};
	char host[CONFIG_HOST_MAX], small[4];
	int port;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		port = -1;
		if (cases[i].host == NULL) {
			assert_false(config_host_port(cases[i].s, cases[i].brackets, host,
			    sizeof(host), &port));
			assert_int_equal(port, -1);
			continue;
		}
		assert_true(config_host_port(cases[i].s, cases[i].brackets, host, sizeof(host),
		    &port));
		assert_string_equal(host, cases[i].host);
		assert_int_equal(port, cases[i].port);
	}
	/* a host that does not fit the caller's buffer is refused, never cut */
	assert_false(config_host_port("abcd:80", true, small, sizeof(small), &port));
	assert_true(config_host_port("abc:80", true, small, sizeof(small), &port));
	assert_string_equal(small, "abc");
}

/* CONFIG_CHECK_COMMANDS: a command that does not exist. */
static void
test_check_missing_command(void **state)
{
	char text[512], want[512];

	(void)state;
	snprintf(text, sizeof(text), "%sfollow = %s/nope arg\n", BASE, tmpdir);
	snprintf(want, sizeof(want), "9: follow: %s/nope: No such file or directory", tmpdir);
	expect_errors(text, CONFIG_CHECK_COMMANDS, want, NULL);
	/* Without the flag nothing is checked. */
	config_free(load_ok(text, 0));
}

/* CONFIG_CHECK_COMMANDS: a command that is not executable. */
static void
test_check_not_executable(void **state)
{
	char text[512], want[512];
	const char *hook;

	(void)state;
	hook = make_file("noexec", "#!/bin/sh\n", 0644);
	snprintf(text, sizeof(text), "%s[health]\ncommand = %s\n", BASE, hook);
	snprintf(want, sizeof(want), "10: command: %s is not executable", hook);
	expect_errors(text, CONFIG_CHECK_COMMANDS, want, NULL);
}

/* CONFIG_CHECK_COMMANDS: a directory is not a command. */
static void
test_check_directory(void **state)
{
	char text[512], want[512];

	(void)state;
	snprintf(text, sizeof(text), "[zookeeper]\nhosts = a:1\n[election]\npath = /p\nid = c\n"
	    "[hooks]\npromote = %s\ndemote = /bin/true\n", tmpdir);
	snprintf(want, sizeof(want), "7: promote: %s is not a regular file", tmpdir);
	expect_errors(text, CONFIG_CHECK_COMMANDS, want, NULL);
}

/* CONFIG_CHECK_COMMANDS: executable files with arguments pass. */
static void
test_check_commands_ok(void **state)
{
	char text[512];
	const char *hook;

	(void)state;
	hook = make_file("hook", "#!/bin/sh\nexit 0\n", 0755);
	snprintf(text, sizeof(text), "%sfollow = %s --x\n[health]\ncommand = %s health\n", BASE,
	    hook, hook);
	config_free(load_ok(text, CONFIG_CHECK_COMMANDS));
}

/* Many problems: all reported, in file order, line 0 last. */
static void
test_multiple_errors_in_order(void **state)
{
	(void)state;
	expect_errors(
	    "[zookeeper]\n"			/* 1 */
	    "session_timeout = 10x\n"		/* 2 */
	    "[election]\n"			/* 3 */
	    "id = no good\n"			/* 4 */
	    "mode = observer\n"			/* 5 */
	    "disconnect_grace = 5s\n"		/* 6 */
	    "  continued\n"			/* 7 */
	    "[bogus]\n"				/* 8 */
	    "x = y\n"				/* 9 */
	    "[daemon]\n"			/* 10 */
	    "log_level = loud\n"		/* 11 */
	    "log_level = louder\n"		/* 12 */
	    "what is this\n",			/* 13 */
	    0,
	    "2: session_timeout: \"10x\" is not a duration (use e.g. 500ms, 10s, 2m)",
	    "4: id: \"no good\" is not a valid id (letters, digits, '.', '_', '-'; at most "
	    "128 bytes)",
	    "7: indented line: inih would join it to the key above as a continuation; "
	    "remove the leading blanks",
	    "8: unknown section [bogus] (known: zookeeper, election, hooks, health, daemon, "
	    "status, watchdog)",
	    "11: log_level: \"loud\" is not one of debug, info, notice, warning, error",
	    "12: log_level: given twice in [daemon] (lines 11 and 12)",
	    "13: syntax error: expected \"key = value\", \"[section]\" or a comment",
	    "0: missing required key \"hosts\" in [zookeeper]",
	    "0: missing required key \"path\" in [election]",
	    NULL);
}

/* Command-check problems sort in with the others by line. */
static void
test_check_errors_sorted(void **state)
{
	char text[512], want1[256];

	(void)state;
	snprintf(text, sizeof(text), "[zookeeper]\nhosts = a:1\n[election]\npath = /p\nid = c\n"
	    "[hooks]\npromote = %s/missing\ndemote = /bin/true\n[daemon]\nlog_level = x\n",
	    tmpdir);
	snprintf(want1, sizeof(want1), "7: promote: %s/missing: No such file or directory",
	    tmpdir);
	expect_errors(text, CONFIG_CHECK_COMMANDS, want1,
	    "10: log_level: \"x\" is not one of debug, info, notice, warning, error", NULL);
}

/* config_parse_duration: units, bare seconds, and everything it must refuse. */
static void
test_parse_duration(void **state)
{
	static const struct { const char *s; int64_t ms; } table[] = {
		{ "0", 0 }, { "10", 10000 }, { "10s", 10000 }, { "250ms", 250 },
		{ "2m", 120000 }, { "1h", 3600000 }, { "0ms", 0 }, { "007s", 7000 },
		{ "9223372036854775807ms", INT64_MAX },
		{ "9223372036854775s", 9223372036854775000LL },
		{ "9223372036854776s", -1 }, { "9223372036854775808ms", -1 },
		{ "99999999999999999999", -1 },
		{ "", -1 }, { "s", -1 }, { "ms", -1 }, { "-1s", -1 }, { "+1s", -1 },
		{ "1.5s", -1 }, { "10x", -1 }, { "10 s", -1 }, { " 10s", -1 }, { "10s ", -1 },
		{ "10S", -1 }, { "10sec", -1 }, { "1d", -1 }, { "10mss", -1 }, { "0x10", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (config_parse_duration(table[i].s) != table[i].ms)
			fail_msg("\"%s\": got %lld, want %lld", table[i].s,
			    (long long)config_parse_duration(table[i].s), (long long)table[i].ms);
	}
	assert_int_equal(config_parse_duration(NULL), -1);
}

/* config_format_duration: the shortest exact unit. */
static void
test_format_duration(void **state)
{
	static const struct { int64_t ms; const char *s; } table[] = {
		{ 0, "0s" }, { 1, "1ms" }, { 250, "250ms" }, { 1000, "1s" }, { 1500, "1.5s" },
		{ 1250, "1.25s" }, { 3334, "3.334s" }, { 1001, "1.001s" }, { 60000, "1m" },
		{ 90000, "90s" }, { 3600000, "1h" }, { 5400000, "90m" }, { 86400000, "24h" },
	};
	char buf[32], tiny[4];

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		assert_string_equal(config_format_duration(table[i].ms, buf, sizeof(buf)),
		    table[i].s);
	assert_string_equal(config_format_duration(12345, tiny, sizeof(tiny)), "12.");
}

/* command_split on spaces and tabs; command_free leaves it empty. */
static void
test_command_split(void **state)
{
	struct command c;

	(void)state;
	command_split("  /usr/bin/x\t-a  b\t\t", &c);
	assert_int_equal(c.argc, 3);
	assert_string_equal(c.argv[0], "/usr/bin/x");
	assert_string_equal(c.argv[1], "-a");
	assert_string_equal(c.argv[2], "b");
	assert_null(c.argv[3]);
	command_free(&c);
	assert_null(c.argv);
	assert_int_equal(c.argc, 0);
	command_free(&c);
	command_split(" \t ", &c);
	assert_null(c.argv);
	assert_int_equal(c.argc, 0);
	command_split("'a b'", &c);
	assert_int_equal(c.argc, 2);
	assert_string_equal(c.argv[0], "'a");
	command_free(&c);
}

/* command_copy is deep; command_equal compares the words. */
static void
test_command_copy_equal(void **state)
{
	struct command a, b, c, none = { NULL, 0, 0 }, none2 = { NULL, 0, 5 };

	(void)state;
	command_split("/bin/x 1 2", &a);
	a.line = 7;
	command_copy(&b, &a);
	assert_int_equal(b.line, 7);
	assert_true(command_equal(&a, &b));
	assert_ptr_not_equal(a.argv, b.argv);
	assert_ptr_not_equal(a.argv[0], b.argv[0]);
	command_split("/bin/x 1 3", &c);
	assert_false(command_equal(&a, &c));
	command_free(&c);
	command_split("/bin/x 1", &c);
	assert_false(command_equal(&a, &c));
	assert_false(command_equal(&a, &none));
	assert_true(command_equal(&none, &none2));
	command_free(&a);
	assert_true(command_equal(&b, &b));
	command_free(&c);
	command_copy(&c, &none);
	assert_null(c.argv);
	command_free(&b);
	command_free(&c);
}

/* config_warnings: 2 or 4 ZooKeeper servers (ZOOKEEPER-2466). */
static void
test_warn_even_hosts(void **state)
{
	static const struct { const char *hosts; int warns; } table[] = {
		{ "a:1", 0 }, { "a:1,b:1", 1 }, { "a:1,b:1,c:1", 0 }, { "a:1,b:1,c:1,d:1", 1 },
		{ "a:1,b:1,c:1/x,y", 0 }, { "a:1,b:1,c:1,d:1,e:1", 0 },
	};
	char text[512];
	struct config *cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		snprintf(text, sizeof(text), "[zookeeper]\nhosts = %s\n[election]\npath = /p\n"
		    "id = x\nmode = observer\n", table[i].hosts);
		cfg = load_ok(text, 0);
		warnings[0] = '\0';
		config_warnings(cfg, collect_warning);
		assert_int_equal(strstr(warnings, "ZOOKEEPER-2466") != NULL, table[i].warns);
		config_free(cfg);
	}
}

/* config_warnings: a password in a file others can read; never the password itself. */
static void
test_warn_readable_password(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(BASE "demote_timeout = 1s\n[zookeeper]\nauth = digest:bob:hunter2\n", 0);
	warnings[0] = '\0';
	config_warnings(cfg, collect_warning);
	assert_string_equal(warnings, "");
	assert_int_equal(chmod(conf_path, 0644), 0);
	config_warnings(cfg, collect_warning);
	assert_non_null(strstr(warnings, "readable by others"));
	assert_null(strstr(warnings, "hunter2"));
	config_free(cfg);
	/* No password, no warning, whatever the mode. */
	cfg = load_ok(BASE "demote_timeout = 1s\n", 0);
	assert_int_equal(chmod(conf_path, 0644), 0);
	warnings[0] = '\0';
	config_warnings(cfg, collect_warning);
	assert_string_equal(warnings, "");
	config_free(cfg);
}

/*
 * config_warnings: disconnect_grace + demote_timeout must fit in
 * session_timeout / 3 (the demote budget); observers never lead.
 */
static void
test_warn_demote_budget(void **state)
{
	static const struct { const char *lines; const char *want; } table[] = {
		{ "", "disconnect_grace (0s) + demote_timeout (1m) do not fit in session_timeout "
		    "/ 3 (3.333s)" },
		{ "demote_timeout = 3s\n", NULL },
		{ "demote_timeout = 3s\n[zookeeper]\nsession_timeout = 4s\n",
		    "within 1.333s; set demote_timeout to at most 1.333s or session_timeout to "
		    "at least 9s" },
		{ "timeout = 2s\n[election]\ndisconnect_grace = 2s\n",
		    "disconnect_grace (2s) + demote_timeout (2s)" },
		{ "timeout = 1s\n[election]\ndisconnect_grace = 2s\n", NULL },
		{ "[election]\nmode = observer\n", NULL },
	};
	char text[1024];
	struct config *cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", BASE, table[i].lines);
		cfg = load_ok(text, 0);
		warnings[0] = '\0';
		config_warnings(cfg, collect_warning);
		if (table[i].want == NULL)
			assert_null(strstr(warnings, "demote_timeout"));
		else if (strstr(warnings, table[i].want) == NULL)
			fail_msg("case %zu: no \"%s\" in: %s", i, table[i].want, warnings);
		config_free(cfg);
	}
}

/* config_reload_need: what a change takes, from the key table; values compared as parsed. */
static void
test_reload_need(void **state)
{
	static const struct { const char *lines; enum reload_need need; const char *restart; }
	    table[] = {
		{ "", RELOAD_LIVE, NULL },
		{ "[zookeeper]\nsession_timeout = 10000ms\n", RELOAD_LIVE, NULL },	/* the default */
		{ "[election]\nmode = candidate\n", RELOAD_LIVE, NULL },
		{ "[daemon]\nlog_level = debug\n", RELOAD_LIVE, NULL },
		{ "timeout = 5s\nfollow = /bin/true\n", RELOAD_LIVE, NULL },
		{ "[election]\ndata = other\n", RELOAD_REJOIN, NULL },
		{ "[zookeeper]\nsession_timeout = 9s\n", RELOAD_REJOIN, NULL },
		{ "[election]\nmode = observer\n", RELOAD_REJOIN, NULL },
		{ "[daemon]\npid_file = /run/x.pid\n", RELOAD_RESTART, "pid_file" },
		{ "[daemon]\npid_file = /run/x.pid\nstate_file = /run/x.state\n[election]\n"
		    "data = x\n", RELOAD_RESTART, "pid_file, state_file, session_file" },
		{ "[watchdog]\nmode = automatic\n", RELOAD_RESTART, "mode, timeout" },
	};
	struct config *old, *new;
	char text[1024], *restart;

	(void)state;
	old = load_ok(BASE, 0);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", BASE, table[i].lines);
		new = load_ok(text, 0);
		assert_int_equal(config_reload_need(old, new, &restart), table[i].need);
		if (table[i].restart == NULL)
			assert_null(restart);
		else
			assert_string_equal(restart, table[i].restart);
		free(restart);
		config_free(new);
	}
	config_free(old);
}

/* session_file defaults to the state file's name ending in .session. */
static void
test_session_file_default(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(BASE, 0);
	assert_string_equal(cfg->session_file, "/run/zkelectd/zkelectd.session");
	config_free(cfg);
	cfg = load_ok(BASE "[daemon]\nstate_file = /run/a/n1.state\n", 0);
	assert_string_equal(cfg->session_file, "/run/a/n1.session");
	config_free(cfg);
	cfg = load_ok(BASE "[daemon]\nstate_file = /run/a/state\n", 0);
	assert_string_equal(cfg->session_file, "/run/a/state.session");
	config_free(cfg);
	cfg = load_ok(BASE "[daemon]\nsession_file = /var/lib/x/s\n", 0);
	assert_string_equal(cfg->session_file, "/var/lib/x/s");
	config_free(cfg);
	expect_one("[daemon]\nstate_file = /run/a/x.session\n",
	    "10: state_file: the session file's default, /run/a/x.session, is this file itself: "
	    "set session_file in [daemon]");
}

/* [watchdog]: the timeout must reset the host before the session can expire. */
static void
test_watchdog_keys(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(BASE, 0);
	assert_int_equal(cfg->wd_mode, WATCHDOG_OFF);
	assert_string_equal(cfg->wd_device, "/dev/watchdog");
	config_free(cfg);
	cfg = load_ok(BASE "[watchdog]\nmode = required\n", 0);
	assert_int_equal(cfg->wd_mode, WATCHDOG_REQUIRED);
	assert_int_equal(cfg->wd_timeout_ms, 3000);	/* 10s / 3, whole seconds */
	config_free(cfg);
	cfg = load_ok(BASE "[zookeeper]\nsession_timeout = 1500ms\n[watchdog]\nmode = automatic\n"
	    "device = /tmp/wd\ntimeout = 400ms\n", 0);
	assert_int_equal(cfg->wd_timeout_ms, 400);
	assert_string_equal(cfg->wd_device, "/tmp/wd");
	config_free(cfg);
	expect_one("[watchdog]\nmode = sometimes\n",
	    "10: mode: \"sometimes\" is not off, automatic or required");
	expect_one("[watchdog]\nmode = required\ntimeout = 4s\n",
	    "11: timeout: 4s is above session_timeout / 3 - disconnect_grace (3.333s): the host "
	    "would be reset only after ZooKeeper may have expired the session and elected "
	    "another node");
	expect_one("[zookeeper]\nsession_timeout = 2s\n[watchdog]\nmode = required\n",
	    "12: mode: session_timeout / 3 - disconnect_grace is 666ms, less than the 1s a "
	    "watchdog device takes: raise session_timeout (or set timeout for a device that "
	    "takes less)");
}

/* [election] keys of operator control: the pause's durations, history, priority, failback. */
static void
test_operator_keys(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(BASE, 0);
	assert_int_equal(cfg->pause_default_ms, 3600000);
	assert_int_equal(cfg->pause_max_ms, 24 * 3600000);
	assert_int_equal(cfg->history_keep, 100);
	assert_int_equal(cfg->priority, 100);
	assert_false(cfg->failback);
	assert_int_equal(cfg->failback_delay_ms, 60000);
	assert_non_null(strstr(cfg->pause_file, ".pause"));
	config_free(cfg);
	cfg = load_ok(BASE "[election]\npause_default = 2h\npause_max = 3h\nhistory_keep = 0\npriority = 0\n"
	    "failback = yes\nfailback_delay = 5s\n", 0);
	assert_int_equal(cfg->pause_default_ms, 2 * 3600000);
	assert_int_equal(cfg->history_keep, 0);
	assert_int_equal(cfg->priority, 0);
	assert_true(cfg->failback);
	assert_int_equal(cfg->failback_delay_ms, 5000);
	config_free(cfg);
	expect_one("[election]\npriority = 256\n",
	    "10: priority: \"256\" is not a whole number from 0 to 255");
	expect_one("[election]\nfailback = sometimes\n",
	    "10: failback: \"sometimes\" is not yes or no (also true/false, on/off, 1/0)");
	expect_one("[election]\npause_default = 48h\npause_max = 24h\n",
	    "10: pause_default must not be longer than pause_max");
}

/* The shipped example configuration is valid as it stands. */
static void
test_example_conf(void **state)
{
	struct config_error *errors, *e;
	struct config *cfg;

	(void)state;
	if (access("conf/zkelectd.conf", R_OK) != 0)
		skip();
	cfg = config_load("conf/zkelectd.conf", 0, &errors);
	for (e = errors; e != NULL; e = e->next)
		print_error("%s\n", e->text);
	assert_non_null(cfg);
	assert_string_equal(cfg->promote.argv[0], "/etc/zkelectd/hooks/promote");
	assert_string_equal(cfg->demote.argv[0], "/etc/zkelectd/hooks/demote");
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_default_id_is_hostname),
		cmocka_unit_test(test_default_id_bad_hostname),
		cmocka_unit_test(test_hook_timeouts_inherit),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_key_before_section),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_duplicate_key_in_repeated_section),
		cmocka_unit_test(test_continuation_line),
		cmocka_unit_test(test_indented_comment_ok),
		cmocka_unit_test(test_indented_section),
		cmocka_unit_test(test_line_198_ok),
		cmocka_unit_test(test_line_199_error),
		cmocka_unit_test(test_long_line_keeps_counting),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_keys_after_bad_header_skipped),
		cmocka_unit_test(test_inline_comment),
		cmocka_unit_test(test_empty_value),
		cmocka_unit_test(test_session_timeout),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_election_path),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_observer_without_hooks),
		cmocka_unit_test(test_candidate_needs_hooks),
		cmocka_unit_test(test_enum_values),
		cmocka_unit_test(test_disconnect_grace),
		cmocka_unit_test(test_demote_on_start),
		cmocka_unit_test(test_hook_durations),
		cmocka_unit_test(test_relative_command),
		cmocka_unit_test(test_health_section),
		cmocka_unit_test(test_health_counts),
		cmocka_unit_test(test_daemon_section),
		cmocka_unit_test(test_status_listen),
		cmocka_unit_test(test_host_port),
		cmocka_unit_test(test_check_missing_command),
		cmocka_unit_test(test_check_not_executable),
		cmocka_unit_test(test_check_directory),
		cmocka_unit_test(test_check_commands_ok),
		cmocka_unit_test(test_multiple_errors_in_order),
		cmocka_unit_test(test_check_errors_sorted),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_command_split),
		cmocka_unit_test(test_command_copy_equal),
		cmocka_unit_test(test_warn_even_hosts),
		cmocka_unit_test(test_warn_readable_password),
		cmocka_unit_test(test_warn_demote_budget),
		cmocka_unit_test(test_reload_need),
		cmocka_unit_test(test_session_file_default),
		cmocka_unit_test(test_watchdog_keys),
		cmocka_unit_test(test_operator_keys),
		cmocka_unit_test(test_example_conf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
