/* state: the PID file (an exclusive lock held for the daemon's life) and the state file. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "xmalloc.h"

#define PIDFILE_TRIES	5	/* re-opens when the holder removed the file under us */

struct pidfile {
	int fd;
	char *path;
};

static pid_t pid_parse(const char *);
static pid_t pid_read(int);
static bool pidfile_same(int, const char *);
static int pidfile_lock(const char *, char *, size_t);
static int pidfile_write(int);
static void state_put(FILE *, const char *, const char *);
static char *state_text(const struct state *, size_t *);
static int write_all(int, const char *, size_t);
static char *file_slurp(const char *);
static const char *kv_parse_value(const char *, char *);
static struct state_kv *kv_parse(const char *);

/* Take the PID file at PATH for this process; NULL with ERR filled when we cannot. */
struct pidfile *
pidfile_open(const char *path, char *err, size_t errlen)
{
	struct pidfile *pf;
	int fd;

	if ((fd = pidfile_lock(path, err, errlen)) == -1)
		return NULL;
	if (pidfile_write(fd) == -1) {
		snprintf(err, errlen, "cannot write PID file %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return NULL;
	}
	pf = xcalloc(1, sizeof(*pf));
	pf->fd = fd;
	pf->path = xstrdup(path);
	return pf;
}

/*
 * Open PATH and lock it exclusively; the descriptor or -1 with ERR filled. A
 * holder that exits unlinks the file before closing it, so a lock won on a
 * file no longer at PATH is worthless: open the new one and try again.
 */
static int
pidfile_lock(const char *path, char *err, size_t errlen)
{
	pid_t other;
	int fd;

	for (int i = 0; i < PIDFILE_TRIES; i++) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd == -1) {
			snprintf(err, errlen, "cannot open PID file %s: %s; check that its "
			    "directory exists and is writable", path, strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			if (errno != EWOULDBLOCK)
				snprintf(err, errlen, "cannot lock PID file %s: %s",
				    path, strerror(errno));
			else if ((other = pid_read(fd)) > 0)
				snprintf(err, errlen, "another zkelectd (pid %ld) holds %s; "
				    "stop it first", (long)other, path);
			else
				snprintf(err, errlen, "another zkelectd holds %s; stop it first",
				    path);
			close(fd);
			return -1;
		}
		if (pidfile_same(fd, path))
			return fd;
		close(fd);
	}
	snprintf(err, errlen, "PID file %s keeps being replaced; is another zkelectd "
	    "starting and stopping?", path);
	return -1;
}

/* True when FD is still the file named PATH. */
static bool
pidfile_same(int fd, const char *path)
{
	struct stat a, b;

	if (fstat(fd, &a) == -1 || stat(path, &b) == -1)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Replace the file's content (a stale PID, maybe) with ours. */
static int
pidfile_write(int fd)
{
	char buf[32];
	ssize_t w;
	int n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1)
		return -1;
	if ((w = pwrite(fd, buf, (size_t)n, 0)) != n) {
		if (w >= 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

struct pidfile *
pidfile_adopt(const char *path, int fd, char *err, size_t errlen)
{
	struct pidfile *pf;

	if (!pidfile_same(fd, path) || flock(fd, LOCK_EX | LOCK_NB) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 || pidfile_write(fd) == -1) {
		snprintf(err, errlen, "cannot take over PID file %s from the previous image "
		    "(descriptor %d): it is not that file, or not locked by us", path, fd);
		return NULL;
	}
	pf = xcalloc(1, sizeof(*pf));
	pf->fd = fd;
	pf->path = xstrdup(path);
	return pf;
}

int
pidfile_fd(const struct pidfile *pf)
{
	return pf->fd;
}

/* Remove the file, then drop the lock (in that order: see pidfile_lock). */
void
pidfile_close(struct pidfile *pf)
{
	if (pf == NULL)
		return;
	unlink(pf->path);
	close(pf->fd);
	free(pf->path);
	free(pf);
}

/* The PID in PATH and whether someone holds its lock; 0 when there is none. */
pid_t
pidfile_peek(const char *path, bool *running)
{
	pid_t pid;
	int fd;

	*running = false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	pid = pid_read(fd);
	if (flock(fd, LOCK_SH | LOCK_NB) == -1)
		*running = errno == EWOULDBLOCK;
	else
		flock(fd, LOCK_UN);
	close(fd);
	return pid;
}

/* The PID written at the start of FD, or 0. */
static pid_t
pid_read(int fd)
{
	char buf[32];
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return pid_parse(buf);
}

/* A positive decimal PID followed by a newline or nothing; else 0. */
static pid_t
pid_parse(const char *s)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || v <= 0 || v > INT32_MAX || (*end != '\0' && *end != '\n'))
		return 0;
	return (pid_t)v;
}

/* S in single quotes for sh; each ' becomes '\'' . */
char *
state_quote(const char *s)
{
	size_t n = 3;
	char *q, *o;

	if (s == NULL)
		s = "";
	for (const char *p = s; *p != '\0'; p++)
		n += *p == '\'' ? 4 : 1;
	q = o = xmalloc(n);
	*o++ = '\'';
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else
			*o++ = *p;
	}
	*o++ = '\'';
	*o = '\0';
	return q;
}

/* The session id as 0x-prefixed lower-case hex. */
const char *
state_format_session(int64_t session_id, char *buf, size_t len)
{
	snprintf(buf, len, "0x%llx", (unsigned long long)session_id);
	return buf;
}

/* WATCHDOG's text: the state, and why when it could not be armed. */
const char *
state_format_watchdog(const struct state *st, char *buf, size_t len)
{
	const char *why = st->watchdog_problem;

	switch (st->watchdog) {
	case STATE_WD_OFF:
		snprintf(buf, len, "off");
		break;
	case STATE_WD_ARMED:
		snprintf(buf, len, "armed");
		break;
	case STATE_WD_DISARMED:
		snprintf(buf, len, "disarmed");
		break;
	case STATE_WD_UNAVAILABLE:
	default:
		snprintf(buf, len, "unavailable: %s", why != NULL && *why != '\0' ? why :
		    "no reason known");
		break;
	}
	return buf;
}

/* Write KEY='VALUE' and a newline to F. */
static void
state_put(FILE *f, const char *key, const char *value)
{
	char *q;

	q = state_quote(value);
	fprintf(f, "%s=%s\n", key, q);
	free(q);
}

/* The whole state file as text, keys in the contract's order (malloc'd, length in LEN). */
static char *
state_text(const struct state *st, size_t *len)
{
	char epoch[24] = "", session[24] = "", pid[24], since[24], updated[24], trans[24];
	char wd[320], wd_timeout[24] = "", wd_kick[24] = "", image[24] = "", ends[24] = "";
	char *text = NULL;
	FILE *f;

	if (st->epoch >= 0)
		snprintf(epoch, sizeof(epoch), "%" PRId64, st->epoch);
	if (st->session_id != 0)
		state_format_session(st->session_id, session, sizeof(session));
	snprintf(pid, sizeof(pid), "%ld", st->pid);
	snprintf(since, sizeof(since), "%" PRId64, st->since);
	snprintf(updated, sizeof(updated), "%" PRId64, st->updated);
	snprintf(trans, sizeof(trans), "%lu", st->transitions);
	state_format_watchdog(st, wd, sizeof(wd));
	if (st->watchdog != STATE_WD_OFF && st->watchdog_timeout_ms > 0)
		snprintf(wd_timeout, sizeof(wd_timeout), "%" PRId64, st->watchdog_timeout_ms);
	if (st->watchdog_last_kick_ms != 0)
		snprintf(wd_kick, sizeof(wd_kick), "%" PRId64, st->watchdog_last_kick_ms);
	if (st->image_started_ms != 0)
		snprintf(image, sizeof(image), "%" PRId64, st->image_started_ms);
	if (st->paused)
		snprintf(ends, sizeof(ends), "%" PRId64, st->pause_ends_ms);
	if ((f = open_memstream(&text, len)) == NULL)
		return NULL;
	state_put(f, "ROLE", st->role);
	state_put(f, "ID", st->id);
	state_put(f, "LEADER_ID", st->leader_id);
	state_put(f, "LEADER_DATA", st->leader_data);
	state_put(f, "EPOCH", epoch);
	state_put(f, "ZNODE", st->znode);
	state_put(f, "SESSION_ID", session);
	state_put(f, "ZK_STATE", st->zk_state);
	state_put(f, "HEALTH", st->health);
	state_put(f, "PID", pid);
	state_put(f, "SINCE", since);
	state_put(f, "UPDATED", updated);
	state_put(f, "TRANSITIONS", trans);
	state_put(f, "LAST_HOOK", st->last_hook);
	state_put(f, "LAST_HOOK_STATUS", st->last_hook_status);
	state_put(f, "WATCHDOG", wd);
	state_put(f, "WATCHDOG_TIMEOUT_MS", wd_timeout);
	state_put(f, "WATCHDOG_LAST_KICK_MS", wd_kick);
	state_put(f, "IMAGE_STARTED_MS", image);
	state_put(f, "UPGRADE", st->upgrade);
	state_put(f, "PAUSED", st->paused ? "yes" : "no");
	state_put(f, "PAUSE_REASON", st->paused ? st->pause_reason : "");
	state_put(f, "PAUSE_BY", st->paused ? st->pause_by : "");
	state_put(f, "PAUSE_ENDS_MS", ends);
	state_put(f, "PAUSE_HELD", st->paused ? st->pause_held : "");
	state_put(f, "SWITCHOVER", st->switchover);
	state_put(f, "FENCE", st->fence != NULL ? st->fence : "");
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/*
 * Write ST to PATH.tmp and rename it onto PATH, so readers see the old file or
 * the new one, never a part. No fsync: the file lives in /run (tmpfs) and is
 * rewritten on every change; the loop must not wait for a disk.
 */
int
state_write(const char *path, const struct state *st)
{
	char *text;
	size_t len;
	int rc, saved;

	if ((text = state_text(st, &len)) == NULL)
		return -1;
	rc = file_replace(path, text, len, 0644);
	saved = errno;
	free(text);
	errno = saved;
	return rc;
}

int
file_replace(const char *path, const char *text, size_t len, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd, saved;

	fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1) {
		saved = errno;
		goto fail;
	}
	if (fchmod(fd, mode) == -1 || write_all(fd, text, len) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	free(tmp);
	errno = saved;
	return -1;
}

/* Write all LEN bytes of BUF to FD; -1 with errno on failure. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read and unquote the state file at PATH. */
struct state_kv *
state_read(const char *path)
{
	struct state_kv *kv;
	char *text;

	if ((text = file_slurp(path)) == NULL)
		return NULL;
	kv = kv_parse(text);
	free(text);
	return kv;
}

/* The whole file at PATH as a string (malloc'd), or NULL with errno. */
static char *
file_slurp(const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf;
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	buf = xmalloc(cap);
	for (;;) {
		if (cap - len < 2)
			buf = xrealloc(buf, cap *= 2);
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	saved = errno;
	close(fd);
	if (n == -1) {
		free(buf);
		errno = saved;
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/*
 * Parse KEY=VALUE lines as written by state_write (blank and # lines
 * skipped). NULL with errno EINVAL when the text is not in that form,
 * ENODATA when it holds no key.
 */
static struct state_kv *
kv_parse(const char *p)
{
	struct state_kv *head = NULL, **tail = &head, *kv;
	const char *key, *end;
	char *value;

	while (*p != '\0') {
		if (*p == '\n' || *p == '#') {
			p += strcspn(p, "\n");
			p += *p == '\n';
			continue;
		}
		for (key = p; isalnum((unsigned char)*p) || *p == '_'; p++)
			;
		value = xmalloc(strlen(p) + 1);
		if (p == key || *p != '=' || (end = kv_parse_value(p + 1, value)) == NULL) {
			free(value);
			state_kv_free(head);
			errno = EINVAL;
			return NULL;
		}
		kv = xcalloc(1, sizeof(*kv));
		kv->key = xstrndup(key, (size_t)(p - key));
		kv->value = xrealloc(value, strlen(value) + 1);
		*tail = kv;
		tail = &kv->next;
		p = end;
	}
	if (head == NULL)
		errno = ENODATA;	/* an empty file says nothing */
	return head;
}

/*
 * Unquote one value starting at P into OUT: '...' parts, \X escapes and plain
 * safe characters, up to an unquoted newline. Returns where the next line
 * starts, or NULL when the value is malformed.
 */
static const char *
kv_parse_value(const char *p, char *out)
{
	const char *q;

	while (*p != '\0' && *p != '\n') {
		if (*p == '\'') {
			if ((q = strchr(p + 1, '\'')) == NULL)
				return NULL;
			memcpy(out, p + 1, (size_t)(q - p - 1));
			out += q - p - 1;
			p = q + 1;
		} else if (*p == '\\' && p[1] == '\n') {
			p += 2;		/* a line continuation, as in sh */
		} else if (*p == '\\' && p[1] != '\0') {
			*out++ = p[1];
			p += 2;
		} else if (isalnum((unsigned char)*p) || strchr("%+,-./:=@_", *p) != NULL) {
			*out++ = *p++;
		} else
			return NULL;
	}
	*out = '\0';
	return *p == '\n' ? p + 1 : p;
}

/* The value of KEY, or NULL. */
const char *
state_get(const struct state_kv *kv, const char *key)
{
	for (; kv != NULL; kv = kv->next)
		if (strcmp(kv->key, key) == 0)
			return kv->value;
	return NULL;
}

/* Free a parsed state file. */
void
state_kv_free(struct state_kv *kv)
{
	struct state_kv *next;

	for (; kv != NULL; kv = next) {
		next = kv->next;
		free(kv->key);
		free(kv->value);
		free(kv);
	}
}
