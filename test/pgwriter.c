/*
 * pgwriter: the PostgreSQL client of test/pg_client.sh ("what a client sees").
 * It connects with a libpq connection string (a multi-host one with
 * target_session_attrs=read-write finds whichever server is the primary),
 * writes one numbered row every INTERVAL ms (default 5) into TABLE (default
 * pgwriter, created if missing: seq bigint primary key, ns bigint), one INSERT
 * per transaction, and after each acknowledged commit appends to LOG
 *
 *   <ns since the epoch, CLOCK_REALTIME> <seq>
 *
 * On any error it appends "<ns> ERR <message>" once per outage, drops the
 * connection and connects again (after 5 ms, doubling up to 50 ms) until a row
 * is acknowledged again. Every try takes a new number: a row whose commit was
 * not acknowledged may or may not be in the table, an acknowledged one must
 * be. At each connect the numbering goes on above the table's highest seq.
 * Each line is one write(2) to LOG (O_APPEND), so the log is always complete;
 * SIGTERM or SIGINT stops it after the statement in flight, exit 0.
 *
 *   pgwriter [-i MS] [-t TABLE] CONNINFO LOG
 *
 * Built by the Makefile with pkg-config's libpq flags; the static analysers need
 * libpq's header directory: CPATH=/usr/include/postgresql test/analyze.sh test/pgwriter.c
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define BACKOFF_FIRST_MS 5
#define BACKOFF_MAX_MS 50

static volatile sig_atomic_t stop_now;
static int log_fd = -1;
static const char *table = "pgwriter";
static char error_text[800];	/* the last error, on one line */

static void on_stop(int sig);
static long long now_ns(void);
static void log_line(const char *text);
static void set_error(const char *what, const char *msg);
static void quiet(void *arg, const char *msg);
static int exec_ok(PGconn *conn, const char *sql, ExecStatusType want, char *out, size_t len);
static PGconn *open_conn(const char *conninfo, long long *seq);
static void sleep_ms(long ms);
static void tick(struct timespec *next, long interval_ms);
static int write_row(const char *conninfo, PGconn **conn, long long *seq);
static int table_name_ok(const char *s);

/* SIGTERM/SIGINT: leave the loop after the statement in flight. */
static void
on_stop(int sig)
{
	(void)sig;
	stop_now = 1;
}

/* The realtime clock in ns since the epoch. */
static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Append "<ns> TEXT\n" to the log in one write. */
static void
log_line(const char *text)
{
	char line[1024];
	int n;

	n = snprintf(line, sizeof(line), "%lld %s\n", now_ns(), text);
	if (n >= (int)sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (n > 0)
		(void)!write(log_fd, line, (size_t)n);
}

/* Keep "WHAT: MSG" on one line (libpq's messages span several) in error_text. */
static void
set_error(const char *what, const char *msg)
{
	size_t i, j;
	int n = snprintf(error_text, sizeof(error_text), "%s: ", what);

	j = n > 0 ? (size_t)n : 0;
	for (i = 0; msg != NULL && msg[i] != '\0' && j < sizeof(error_text) - 1; i++) {
		char c = msg[i];

		if (c == '\n' || c == '\t' || c == '\r')
			c = ' ';
		if (c == ' ' && j > 0 && error_text[j - 1] == ' ')
			continue;
		error_text[j++] = c;
	}
	while (j > 0 && error_text[j - 1] == ' ')
		j--;
	error_text[j] = '\0';
}

/* The notice processor: CREATE TABLE IF NOT EXISTS's notice is no news. */
static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Run SQL; 0 when its status is WANT (the first value into OUT when given), else -1 (error_text). */
static int
exec_ok(PGconn *conn, const char *sql, ExecStatusType want, char *out, size_t len)
{
	PGresult *res = PQexec(conn, sql);
	int ok = res != NULL && PQresultStatus(res) == want;

	if (!ok)
		set_error("query", res != NULL && *PQresultErrorMessage(res) != '\0' ?
		    PQresultErrorMessage(res) : PQerrorMessage(conn));
	else if (out != NULL)
		snprintf(out, len, "%s", PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	return ok ? 0 : -1;
}

/* Connect, create the table if missing, go on above its highest seq; NULL (error_text) on failure. */
static PGconn *
open_conn(const char *conninfo, long long *seq)
{
	char sql[256], max[32];
	PGconn *conn = PQconnectdb(conninfo);
	long long m;

	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		set_error("connect", conn != NULL ? PQerrorMessage(conn) : "out of memory");
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, quiet, NULL);
	snprintf(sql, sizeof(sql),
	    "CREATE TABLE IF NOT EXISTS %s (seq bigint PRIMARY KEY, ns bigint NOT NULL)", table);
	if (exec_ok(conn, sql, PGRES_COMMAND_OK, NULL, 0) == 0) {
		snprintf(sql, sizeof(sql), "SELECT coalesce(max(seq), 0) FROM %s", table);
		if (exec_ok(conn, sql, PGRES_TUPLES_OK, max, sizeof(max)) == 0) {
			m = strtoll(max, NULL, 10);
			if (m > *seq)
				*seq = m;
			return conn;
		}
	}
	PQfinish(conn);
	return NULL;
}

/* Sleep MS milliseconds (a signal cuts it short). */
static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)nanosleep(&ts, NULL);
}

/* Sleep until NEXT + INTERVAL_MS on the monotonic clock (never in the past: no burst). */
static void
tick(struct timespec *next, long interval_ms)
{
	struct timespec now;

	next->tv_nsec += interval_ms * 1000000L;
	next->tv_sec += next->tv_nsec / 1000000000L;
	next->tv_nsec %= 1000000000L;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > next->tv_sec || (now.tv_sec == next->tv_sec && now.tv_nsec > next->tv_nsec))
		*next = now;
	while (!stop_now && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR)
		;
}

/* Insert row *SEQ + 1 (connecting first when *CONN is NULL); 0 once its commit is
 * acknowledged, else -1 with error_text set and the connection dropped. */
static int
write_row(const char *conninfo, PGconn **conn, long long *seq)
{
	char sql[256];

	if (*conn == NULL && (*conn = open_conn(conninfo, seq)) == NULL)
		return -1;
	++*seq;
	snprintf(sql, sizeof(sql), "INSERT INTO %s (seq, ns) VALUES (%lld, %lld)", table, *seq,
	    now_ns());
	if (exec_ok(*conn, sql, PGRES_COMMAND_OK, NULL, 0) == 0)
		return 0;
	PQfinish(*conn);
	*conn = NULL;
	return -1;
}

/* A plain lower-case SQL identifier (it is pasted into the statements). */
static int
table_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n &&
	    (s[0] < '0' || s[0] > '9');
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	struct timespec next;
	PGconn *conn = NULL;
	long long seq = 0;
	long interval = 5, backoff = 0;
	char line[sizeof(error_text) + 8], *end;
	int ch, down = 0;

	while ((ch = getopt(argc, argv, "i:t:")) != -1) {
		switch (ch) {
		case 'i':
			errno = 0;
			interval = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || interval < 1 || interval > 60000)
				goto usage;
			break;
		case 't':
			table = optarg;
			if (!table_name_ok(table))
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;
	if ((log_fd = open(argv[optind + 1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		fprintf(stderr, "pgwriter: %s: %s\n", argv[optind + 1], strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: a sleep ends at once */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 || sigaction(SIGINT, &sa, NULL) == -1)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop_now) {
		if (write_row(argv[optind], &conn, &seq) == 0) {
			snprintf(line, sizeof(line), "%lld", seq);
			log_line(line);
			down = 0;
			backoff = 0;
			tick(&next, interval);
			continue;
		}
		if (!down) {	/* one line per outage: its first error */
			snprintf(line, sizeof(line), "ERR %s", error_text);
			log_line(line);
			down = 1;
		}
		backoff = backoff == 0 ? BACKOFF_FIRST_MS : backoff * 2;
		if (backoff > BACKOFF_MAX_MS)
			backoff = BACKOFF_MAX_MS;
		sleep_ms(backoff);
		clock_gettime(CLOCK_MONOTONIC, &next);
	}
	PQfinish(conn);
	return close(log_fd) == 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: pgwriter [-i MS] [-t TABLE] CONNINFO LOG\n");
	return 2;
}
