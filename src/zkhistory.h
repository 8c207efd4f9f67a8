/*
 * zkhistory: the leader history (history.h) as zkelectctl reads it from
 * ZooKeeper: the records under PATH/history in order of age, the newest N of
 * them (`history`), or the newest one of an epoch, with a watch that wakes
 * the caller when another record comes (`watch`, for the cause of a change).
 *
 * Synchronous calls on a handle the caller owns (zkquery.c), from its thread;
 * the results are ZooKeeper's (ZOK, ZNONODE, ...), so the caller says and maps
 * them as it says every other read. A record removed between the listing and
 * its read (the daemons trim the oldest beyond history_keep) is skipped.
 */
#ifndef ZKELECT_ZKHISTORY_H
#define ZKELECT_ZKHISTORY_H

#include <stddef.h>
#include <stdint.h>

#include <zookeeper/zookeeper.h>

#include "history.h"

/*
 * The newest NEWEST records (0: all) under PATH/history (PATH: the election
 * path), oldest first, into *OUT (malloc'd, *N of them; free it), each with
 * its ctime_ms and seq filled from its znode. A missing PATH/history is no
 * record at all (ZOK). A znode there that is no history record of ours is
 * skipped, and said on stderr. Else ZooKeeper's result for the read that failed.
 */
int zkhistory_newest(zhandle_t *zh, const char *path, size_t newest,
    struct history_record **out, size_t *n);

/*
 * The newest record under PATH/history whose epoch is EPOCH, into H: ZOK; or
 * ZNONODE when there is none (yet). With WATCH, a watch is left that fires
 * when the history's children change (when PATH/history is missing: when it
 * is created), so that the caller's watcher wakes it for another look. Any
 * other result is ZooKeeper's for the read that failed.
 */
int zkhistory_find(zhandle_t *zh, const char *path, int64_t epoch, int watch,
    struct history_record *h);

#endif
