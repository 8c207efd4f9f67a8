/* line: the contenders in line with their priorities (line.h). */
#include <stdlib.h>
#include <string.h>

#include "line.h"
#include "xmalloc.h"
#include "zk.h"
#include "znode.h"

/* A priority read, by znode name (the array is kept sorted by name). */
struct known {
	char *name;
	int priority;
};

/* A report under way: a listing, then the data of the names not known. */
struct line_read {
	uint64_t tag;
	char **children;	/* the listing's names, owned (names point into them) */
	int nchildren;
	struct znode_name *names;
	struct line_entry *entries;
	size_t n, pending;
	bool failed;		/* a read failed (not "gone"): no report, read again later */
};

struct line {
	struct zk *zk;
	char *path;
	line_fn *fn;
	void *arg;
	bool quiet;
	bool watch;		/* report again whenever the line changes */
	uint64_t reads;		/* tags reports; an answer to an older one is dropped */
	struct line_read *lr;
	bool prefetch;		/* keep the whole line known */
	uint64_t prefetches;	/* tags prefetch listings */
	struct known *known;
	size_t nknown, known_cap;
};

static void report_listed(void *arg, const struct zk_result *r);
static void start_read(struct line *l, uint64_t tag, char *const *children, int n);
static void report_read(void *arg, const struct zk_result *r);
static void report(struct line *l);
static void read_free(struct line_read *lr);
static void prefetch_list(struct line *l);
static void prefetch_listed(void *arg, const struct zk_result *r);
static void prefetch_read(void *arg, const struct zk_result *r);
static int known_priority(const struct line *l, const char *name);
static void known_set(struct line *l, const char *name, int priority);
static void known_keep(struct line *l, char *const *children, int n);
static const char *name_of(const char *path);

struct line *
line_new(struct zk *zk, const char *path, line_fn *fn, void *arg)
{
	struct line *l = xcalloc(1, sizeof(*l));

	l->zk = zk;
	l->path = xstrdup(path);
	l->fn = fn;
	l->arg = arg;
	return l;
}

void
line_free(struct line *l)
{
	if (l == NULL)
		return;
	read_free(l->lr);
	l->prefetch = false;	/* the session may be gone already: list nothing */
	line_forget(l);
	free(l->known);
	free(l->path);
	free(l);
}

/* --- reports --- */

void
line_read(struct line *l, bool watch)
{
	if (l->quiet)
		return;
	l->watch = watch;
	zk_children(l->zk, l->path, watch, report_listed, l, ++l->reads);
}

void
line_read_listed(struct line *l, char *const *children, int n)
{
	if (l->quiet)
		return;
	l->watch = false;
	start_read(l, ++l->reads, children, n);
}

void
line_stop(struct line *l)
{
	l->watch = false;
	l->reads++;
	read_free(l->lr);
	l->lr = NULL;
}

/* The line listed for a report. */
static void
report_listed(void *arg, const struct zk_result *r)
{
	struct line *l = arg;

	if (r->tag != l->reads || r->rc != ZOK)
		return;	/* older, or lost: the reconnect or the next change reads again */
	start_read(l, r->tag, r->children, r->nchildren);
}

/* Report TAG's listing (N names CHILDREN): read the priorities not known, or report now. */
static void
start_read(struct line *l, uint64_t tag, char *const *children, int n)
{
	struct line_read *lr;
	char *p;

	read_free(l->lr);
	lr = l->lr = xcalloc(1, sizeof(*lr));
	lr->tag = tag;
	lr->nchildren = n;
	lr->children = xcalloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++)
		lr->children[i] = xstrdup(children[i]);
	lr->names = xcalloc((size_t)n + 1, sizeof(*lr->names));
	lr->n = znode_sort(lr->children, (size_t)n, lr->names);
	lr->entries = xcalloc(lr->n + 1, sizeof(*lr->entries));
	for (size_t i = 0; i < lr->n; i++) {
		lr->entries[i].name = lr->names[i].name;
		lr->entries[i].id = lr->names[i].id;
		lr->entries[i].priority = known_priority(l, lr->names[i].name);
		if (lr->entries[i].priority >= 0)
			continue;
		/* not known: read it (-1 stays if it is gone before it is read) */
		p = znode_child_path(l->path, lr->names[i].name);
		zk_get(l->zk, p, false, report_read, l, tag);
		free(p);
		lr->pending++;
	}
	if (lr->pending == 0)
		report(l);
}

/* One contender's data read for a report; once all are in, report. */
static void
report_read(void *arg, const struct zk_result *r)
{
	struct line *l = arg;
	struct line_read *lr = l->lr;
	const char *name = name_of(r->path);
	size_t off;

	if (r->rc == ZOK)
		known_set(l, name, contender_decode(r->value, (size_t)r->value_len, &off));
	if (lr == NULL || r->tag != lr->tag || lr->pending == 0)
		return;
	for (size_t i = 0; i < lr->n; i++) {
		if (strcmp(lr->entries[i].name, name) == 0 && r->rc == ZOK)
			lr->entries[i].priority = contender_decode(r->value, (size_t)r->value_len, &off);
	}
	lr->failed |= r->rc != ZOK && r->rc != ZNONODE;
	if (--lr->pending > 0 || lr->failed)
		return;
	report(l);
}

/* Every priority of the read is in: report the contenders still there, in order. */
static void
report(struct line *l)
{
	struct line_read *lr = l->lr;
	size_t k = 0;

	for (size_t i = 0; i < lr->n; i++)
		if (lr->entries[i].priority >= 0)
			lr->entries[k++] = lr->entries[i];
	l->fn(l->arg, lr->entries, k);
}

/* Free a report's read. */
static void
read_free(struct line_read *lr)
{
	if (lr == NULL)
		return;
	for (int i = 0; i < lr->nchildren; i++)
		free(lr->children[i]);
	free(lr->children);
	free(lr->names);
	free(lr->entries);
	free(lr);
}

/* --- keeping the line known ahead --- */

void
line_prefetch(struct line *l, bool on)
{
	if (on == l->prefetch)
		return;
	l->prefetch = on;
	l->prefetches++;	/* on: a fresh listing; off: drop what is in flight */
	if (on && !l->quiet)
		prefetch_list(l);
}

void
line_on_change(struct line *l)
{
	if (l->quiet)
		return;
	if (l->prefetch)
		prefetch_list(l);
	if (l->watch)
		line_read(l, true);
}

void
line_quiet(struct line *l)
{
	l->quiet = true;
	l->watch = false;
	l->prefetch = false;
}

void
line_forget(struct line *l)
{
	for (size_t i = 0; i < l->nknown; i++)
		free(l->known[i].name);
	l->nknown = 0;
	l->prefetches++;	/* nothing read before this is kept */
	if (l->prefetch && !l->quiet)
		prefetch_list(l);
}

/* List the line with a watch, to read the priorities of newcomers. */
static void
prefetch_list(struct line *l)
{
	zk_children(l->zk, l->path, true, prefetch_listed, l, l->prefetches);
}

/* The line listed ahead: forget the names gone, read the new ones. */
static void
prefetch_listed(void *arg, const struct zk_result *r)
{
	struct line *l = arg;
	struct znode_name zn;
	char *p;

	if (r->tag != l->prefetches || !l->prefetch || r->rc != ZOK)
		return;	/* the reconnect (control_session) lists again */
	known_keep(l, r->children, r->nchildren);
	for (int i = 0; i < r->nchildren; i++) {
		if (!znode_parse(r->children[i], &zn) || known_priority(l, r->children[i]) >= 0)
			continue;
		p = znode_child_path(l->path, r->children[i]);
		zk_get(l->zk, p, false, prefetch_read, l, l->prefetches);
		free(p);
	}
}

/* A newcomer's data read ahead. */
static void
prefetch_read(void *arg, const struct zk_result *r)
{
	struct line *l = arg;
	size_t off;

	if (r->tag == l->prefetches && r->rc == ZOK)
		known_set(l, name_of(r->path),
		    contender_decode(r->value, (size_t)r->value_len, &off));
}

/* --- what is known --- */

/* Compare a name with a known entry (bsearch). */
static int
by_name(const void *key, const void *elem)
{
	return strcmp(key, ((const struct known *)elem)->name);
}

/* The priority known for NAME, or -1. */
static int
known_priority(const struct line *l, const char *name)
{
	const struct known *k = l->nknown == 0 ? NULL :
	    bsearch(name, l->known, l->nknown, sizeof(*l->known), by_name);

	return k != NULL ? k->priority : -1;
}

/* NAME publishes PRIORITY (-1: unreadable, not kept). */
static void
known_set(struct line *l, const char *name, int priority)
{
	size_t i = 0;

	if (priority < 0 || known_priority(l, name) >= 0)
		return;
	while (i < l->nknown && strcmp(l->known[i].name, name) < 0)
		i++;
	if (l->nknown == l->known_cap) {
		l->known_cap = l->known_cap == 0 ? 8 : l->known_cap * 2;
		l->known = xrealloc(l->known, l->known_cap * sizeof(*l->known));
	}
	memmove(&l->known[i + 1], &l->known[i], (l->nknown - i) * sizeof(*l->known));
	l->known[i].name = xstrdup(name);
	l->known[i].priority = priority;
	l->nknown++;
}

/* Compare two names (qsort, bsearch over an array of names). */
static int
names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keep only the names among the N CHILDREN of a listing: the others are gone for good. */
static void
known_keep(struct line *l, char *const *children, int n)
{
	char **sorted = xcalloc((size_t)n + 1, sizeof(*sorted));
	size_t k = 0;

	memcpy(sorted, children, (size_t)n * sizeof(*sorted));
	qsort(sorted, (size_t)n, sizeof(*sorted), names_cmp);
	for (size_t i = 0; i < l->nknown; i++) {
		if (bsearch(&l->known[i].name, sorted, (size_t)n, sizeof(*sorted), names_cmp))
			l->known[k++] = l->known[i];
		else
			free(l->known[i].name);
	}
	l->nknown = k;
	free(sorted);
}

/* The last component of PATH. */
static const char *
name_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}
