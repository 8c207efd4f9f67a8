#!/usr/bin/python3
"""test/bench_kazoo.py: one contender of kazoo's Election recipe, the yardstick
test/bench.sh measures zkelectd against (its "kazoo" and "ensemble" scenarios).

    bench_kazoo.py HOSTS PATH ID DIR TIMEOUT_S

Joins kazoo.recipe.election.Election on PATH (kazoo's own Lock recipe: an ephemeral
sequential znode, a watch on the predecessor) with a session of TIMEOUT_S seconds,
and appends records to DIR/hooks.log in test/hookrec.c's layout, each with a single
write, so that test/bench.sh reads them as it reads the daemons' hook records:

    <ns since the epoch> ID EVENT start|end - REASON -

  init end       the script runs: the interpreter started and kazoo is imported
  follow end     waiting in line: the watch on the predecessor is set (kazoo's
                 wait begins); the bench's "settled"
  promote start  time.time_ns() as the leader callback's first statement (the
                 equivalent of a promote hook's first instruction)
  demote start   the leader callback learnt that it must give up (reason
                 shutdown or resigned)
  demote end     the leader callback's last statement before it returns: what
                 follows is Election.run() deleting the znode, as a zkelectd
                 leader deletes its znode once its demote hook has ended

Signals, as zkelectd takes them:
  SIGTERM  leave: the leader returns from its callback, Election.run() deletes
           its znode, then the session is closed (KazooClient.stop) and the
           process exits; a follower cancels its place in line and exits alike
  SIGUSR1  resign: the leader returns from its callback and joins the election
           again at the back, in the same process and session
"""
import os
import signal
import sys
import threading
import time

from kazoo.client import KazooClient

HOOKLOG = -1            # the descriptor of DIR/hooks.log (O_APPEND)
ME = "-"                # this contender's id
GIVE_UP = threading.Event()     # set by SIGTERM or SIGUSR1 while leading
STATE = {"exit": False, "leading": False, "reason": "-", "election": None}


def record(ns, event, phase, reason="-"):
    """Append one record for EVENT PHASE taken at NS, in one write."""
    os.write(HOOKLOG, ("%d %s %s %s - %s -\n" % (ns, ME, event, phase, reason)).encode())


class ArmedEvent(threading.Event):
    """The Lock's wake-up event: records 'follow end' when a wait begins (kazoo
    waits only once the get() that sets the watch on its predecessor returned)."""

    def wait(self, timeout=None):
        """Note that this contender waits in line, then wait."""
        record(time.time_ns(), "follow", "end")
        return super().wait(timeout)


def lead():
    """The leader callback: note its start, hold leadership until told to give up."""
    t = time.time_ns()
    STATE["leading"] = True
    record(t, "promote", "start", "elected")
    record(time.time_ns(), "promote", "end", "elected")
    GIVE_UP.wait()
    GIVE_UP.clear()
    STATE["leading"] = False
    reason = STATE["reason"]
    record(time.time_ns(), "demote", "start", reason)
    record(time.time_ns(), "demote", "end", reason)


def on_term(_sig, _frame):
    """SIGTERM: leave the election and exit (a leader first returns from its callback)."""
    STATE["exit"] = True
    STATE["reason"] = "shutdown"
    GIVE_UP.set()
    if STATE["election"] is not None:
        STATE["election"].cancel()      # a follower stops waiting in line


def on_resign(_sig, _frame):
    """SIGUSR1: a leader gives leadership up and joins again at the back."""
    if STATE["leading"] and not STATE["exit"]:
        STATE["reason"] = "resigned"
        GIVE_UP.set()


def main():
    """Contend until SIGTERM; then delete the znode and close the session."""
    global HOOKLOG, ME
    if len(sys.argv) != 6:
        sys.stderr.write("usage: bench_kazoo.py HOSTS PATH ID DIR TIMEOUT_S\n")
        return 2
    hosts, path, ME, outdir, timeout = sys.argv[1:]
    HOOKLOG = os.open(os.path.join(outdir, "hooks.log"),
                      os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    record(time.time_ns(), "init", "end")
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGUSR1, on_resign)
    zk = KazooClient(hosts=hosts, timeout=float(timeout))
    zk.start()
    election = zk.Election(path, ME)
    election.lock.wake_event = ArmedEvent()
    STATE["election"] = election
    while not STATE["exit"]:
        election.run(lead)     # returns after lead() returned and the znode is deleted
    zk.stop()                  # closeSession
    zk.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
