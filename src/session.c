/* session: the session file (session.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "session.h"
#include "state.h"
#include "xmalloc.h"

#define SESSION_VERSION	"1"
#define SESSION_MAX	8192	/* a larger file is not ours */

static char *session_text(const struct saved_session *s, size_t *len);
static bool parse_line(struct saved_session *s, char *line, unsigned *seen);
static bool parse_int(const char *v, int64_t *out, int base);
static bool parse_flag(const char *v, bool *out);
static bool parse_passwd(const char *v, char *out);
static bool same(const char *a, const char *b);
static char *slurp(int fd, size_t size);
static bool file_is_ours(int fd, struct stat *st, char *why, size_t whylen);
static bool parse_text(char *text, struct saved_session *s, char *why, size_t whylen);
static unsigned nibble(char c);

/* The keys, each to be given once; all but znode are required. */
enum {
	K_VERSION, K_SESSION, K_PASSWD, K_TIMEOUT, K_PATH, K_ID, K_HOSTS, K_GUID, K_ZNODE,
	K_HANDOVER, K_PROMOTED, K_LEADER_EPOCH, K_FOLLOW_OK, K_COUNT
};
static const char *const key_names[K_COUNT] = {
	"version", "session", "passwd", "timeout_ms", "path", "id", "hosts", "guid", "znode",
	"handover", "promoted", "leader_epoch", "follow_ok",
};

/* S as the file's text (malloc'd; its length in *LEN). */
static char *
session_text(const struct saved_session *s, size_t *len)
{
	char hex[2 * ZK_PASSWD_LEN + 1], *buf;

	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < ZK_PASSWD_LEN; i++) {
		hex[2 * i] = digits[(unsigned char)s->client.passwd[i] >> 4];
		hex[2 * i + 1] = digits[(unsigned char)s->client.passwd[i] & 0xf];
	}
	hex[sizeof(hex) - 1] = '\0';
	buf = xasprintf("# zkelectd session file: a credential, mode 0600; never share it\n"
	    "version=%s\nsession=0x%" PRIx64 "\npasswd=%s\ntimeout_ms=%" PRId64 "\n"
	    "path=%s\nid=%s\nhosts=%s\nguid=%s\nznode=%s\n"
	    "handover=%d\npromoted=%d\nleader_epoch=%" PRId64 "\nfollow_ok=%d\n",
	    SESSION_VERSION, s->client.id, hex, s->client.timeout_ms, s->path, s->id, s->hosts,
	    s->guid, s->znode ? s->znode : "", s->handover, s->promoted, s->leader_epoch,
	    s->follow_ok);
	explicit_bzero(hex, sizeof(hex));
	*len = strlen(buf);
	return buf;
}

int
session_save(const char *file, const struct saved_session *s, char *err, size_t errlen)
{
	size_t len;
	char *text = session_text(s, &len);
	int rc, saved;

	rc = file_replace(file, text, len, 0600);
	saved = errno;
	if (rc == -1)
		snprintf(err, errlen, "cannot write session file %s: %s", file, strerror(saved));
	explicit_bzero(text, len);
	free(text);
	errno = saved;
	return rc;
}

/* Read SIZE bytes of FD (the whole file), NUL-terminated; NULL on a short read. */
static char *
slurp(int fd, size_t size)
{
	char *buf = xmalloc(size + 1);
	size_t off = 0;
	ssize_t n;

	while (off < size && (n = read(fd, buf + off, size - off)) > 0)
		off += (size_t)n;
	if (off != size) {
		free(buf);
		return NULL;
	}
	buf[size] = '\0';
	return buf;
}

/* FD must be a regular file of ours that no one else may read; else WHY says why. */
static bool
file_is_ours(int fd, struct stat *st, char *why, size_t whylen)
{
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		snprintf(why, whylen, "not a regular file");
		return false;
	}
	if (st->st_uid != geteuid()) {
		snprintf(why, whylen, "owned by uid %ld, not by us (uid %ld)", (long)st->st_uid,
		    (long)geteuid());
		return false;
	}
	if ((st->st_mode & 077) != 0) {
		snprintf(why, whylen, "mode %04o: readable or writable by others than us",
		    (unsigned)(st->st_mode & 07777));
		return false;
	}
	if (st->st_size <= 0 || st->st_size > SESSION_MAX) {
		snprintf(why, whylen, "corrupt (size %lld)", (long long)st->st_size);
		return false;
	}
	return true;
}

/* Every line of TEXT into S (every key once); else WHY says why. */
static bool
parse_text(char *text, struct saved_session *s, char *why, size_t whylen)
{
	unsigned seen = 0;
	char *line, *next;

	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '#')
			continue;
		if (!parse_line(s, line, &seen)) {
			snprintf(why, whylen, "corrupt (at \"%.*s\")", (int)strcspn(line, "="),
			    line);
			return false;
		}
	}
	if (seen != (1u << K_COUNT) - 1) {
		snprintf(why, whylen, "corrupt (keys missing)");
		return false;
	}
	return true;
}

enum session_load
session_load(const char *file, const char *path, const char *id, const char *hosts,
    struct saved_session *out, char *why, size_t whylen)
{
	struct saved_session s;
	struct stat st;
	char *text = NULL;
	bool ok;
	int fd;

	memset(&s, 0, sizeof(s));
	if ((fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return SESSION_NONE;
		snprintf(why, whylen, "cannot open it: %s", strerror(errno));
		return SESSION_UNUSABLE;
	}
	ok = file_is_ours(fd, &st, why, whylen);
	if (ok && (text = slurp(fd, (size_t)st.st_size)) == NULL) {
		snprintf(why, whylen, "corrupt (short read)");
		ok = false;
	}
	ok = ok && parse_text(text, &s, why, whylen);
	if (ok && (!same(s.path, path) || !same(s.id, id) || !same(s.hosts, hosts))) {
		snprintf(why, whylen, "written for another election (path %s, id %s, hosts %s)",
		    s.path, s.id, s.hosts);
		ok = false;
	}
	if (text != NULL)
		explicit_bzero(text, (size_t)st.st_size);
	free(text);
	close(fd);
	if (!ok) {
		session_clear(&s);
		return SESSION_UNUSABLE;
	}
	*out = s;
	return SESSION_USABLE;
}

/* One "key=value" line into S; false when it is not one of ours or given twice. */
static bool
parse_line(struct saved_session *s, char *line, unsigned *seen)
{
	char *v = strchr(line, '=');
	char **str = NULL;
	int k;

	if (v == NULL)
		return false;
	*v++ = '\0';
	for (k = 0; k < K_COUNT && strcmp(line, key_names[k]) != 0; k++)
		;
	if (k == K_COUNT || (*seen & (1u << k)) != 0)
		return false;
	*seen |= 1u << k;
	switch (k) {
	case K_VERSION: return strcmp(v, SESSION_VERSION) == 0;
	case K_SESSION: return parse_int(v, &s->client.id, 16) && s->client.id != 0;
	case K_PASSWD: return parse_passwd(v, s->client.passwd);
	case K_TIMEOUT: return parse_int(v, &s->client.timeout_ms, 10) && s->client.timeout_ms > 0;
	case K_LEADER_EPOCH: return parse_int(v, &s->leader_epoch, 10);
	case K_HANDOVER: return parse_flag(v, &s->handover);
	case K_PROMOTED: return parse_flag(v, &s->promoted);
	case K_FOLLOW_OK: return parse_flag(v, &s->follow_ok);
	case K_PATH: str = &s->path; break;
	case K_ID: str = &s->id; break;
	case K_HOSTS: str = &s->hosts; break;
	case K_GUID: str = &s->guid; break;
	default: str = &s->znode; break;
	}
	if (*v == '\0' && k != K_ZNODE)
		return false;
	*str = *v == '\0' ? NULL : xstrdup(v);
	return true;
}

/* A whole number in BASE ("0x" allowed for 16). */
static bool
parse_int(const char *v, int64_t *out, int base)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, base);
	if (errno != 0 || end == v || *end != '\0')
		return false;
	*out = n;
	return true;
}

static bool
parse_flag(const char *v, bool *out)
{
	if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
		return false;
	*out = *v == '1';
	return true;
}

/* A lower-case hex digit's value. */
static unsigned
nibble(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}

/* ZK_PASSWD_LEN bytes as hex. */
static bool
parse_passwd(const char *v, char *out)
{
	if (strlen(v) != (size_t)2 * ZK_PASSWD_LEN || strspn(v, "0123456789abcdef") != strlen(v))
		return false;
	for (size_t i = 0; i < ZK_PASSWD_LEN; i++)
		out[i] = (char)(nibble(v[2 * i]) << 4 | nibble(v[2 * i + 1]));
	return true;
}

static bool
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int
session_remove(const char *file)
{
	return unlink(file) == -1 && errno != ENOENT ? -1 : 0;
}

void
session_clear(struct saved_session *s)
{
	free(s->path);
	free(s->id);
	free(s->hosts);
	free(s->guid);
	free(s->znode);
	explicit_bzero(s, sizeof(*s));
	s->leader_epoch = -1;
}
