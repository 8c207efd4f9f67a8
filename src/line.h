/*
 * line: the contenders in line, in election order, with the priority each
 * publishes in its znode's data ([election] priority; role_priority.c decides
 * with it).
 *
 * A contender's data is written once, when its znode is created (election.c),
 * so a priority read once is known for as long as that znode lives: line
 * keeps what it read, by znode name, and reads only the names it does not
 * know. The node next in line keeps the whole line known ahead (line_prefetch)
 * so that, once elected, it decides from the listing that elected it without
 * another round trip (docs/election.md, "The priority check").
 */
#ifndef ZKELECT_LINE_H
#define ZKELECT_LINE_H

#include <stdbool.h>
#include <stddef.h>

struct zk;
struct line;

/* One contender of the line, with its published priority. */
struct line_entry {
	const char *name;	/* the znode's name */
	const char *id;
	int priority;
};

/* The line, N contenders in election order (only those still there when read). */
typedef void line_fn(void *arg, const struct line_entry *line, size_t n);

struct line *line_new(struct zk *zk, const char *path, line_fn *fn, void *arg);
void line_free(struct line *l);

/*
 * Report the line: list it (with WATCH, again whenever it changes, until
 * line_stop), then read the priorities not known yet.
 */
void line_read(struct line *l, bool watch);
/*
 * Report the line of a listing just made (N names CHILDREN): only the
 * priorities not known are read; when all are known, FN is called before
 * this returns.
 */
void line_read_listed(struct line *l, char *const *children, int n);
/* No report of a read under way, and no more reading on changes. */
void line_stop(struct line *l);
/* ON: keep the priorities of the whole line known (listed with a watch); OFF: stop. */
void line_prefetch(struct line *l, bool on);
/* Drop every priority known: the election path may be new, and its names repeat. */
void line_forget(struct line *l);
/* A child watch fired on the election path. */
void line_on_change(struct line *l);
/* Stopping: read nothing more. */
void line_quiet(struct line *l);

#endif
