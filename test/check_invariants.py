#!/usr/bin/python3
"""check_invariants.py LOGFILE [--watchdog WDLOG] [--json FILE]: check a
zkelectd fault run's log (and, with --watchdog, what the watchdog stand-ins
saw).

The log is one file of lines appended by the test hook (test/lib.sh's hook.sh)
and by the test harness. Lines may be out of time order in the file: they are
sorted by their timestamp (ties keep file order). Blank lines are ignored; a
line that fits none of these forms is reported as a warning, never as a
violation:

  <ns> <id> <event> <phase> <epoch> <reason> <role>   a hook run started/ended
        event promote|demote|follow, phase start|end, epoch a decimal integer
        or "-", reason and role as zkelectd(8) names them ("-" when empty;
        reason "resumed": a restarted daemon resumed its session, see (c);
        "switchover", "forced" and "pause-ended": see (b), (c) and (f))
  <ns> <id> KILL          the harness SIGKILLed daemon <id> (after a watchdog
                          reset: it took <id>'s host down, see --watchdog)
  <ns> <id> TRY promote   daemon <id> began a promote run (from its own log):
                          a run stopped within milliseconds may die before the
                          hook's first instruction, leaving no start line
  <ns> <id> STOP|CONT     the harness froze (SIGSTOP) / woke (SIGCONT) <id>
  <ns> - FAULT <kind> [<target>]   a fault was injected (counted by kind);
                          "FAULT pause [for_ms=<n>]" also opens a pause
                          window (f)
  <ns> - PAUSED           the pause opened by the last FAULT pause is written:
                          its writer returned (zkelectctl pause starts a
                          process and a session first: 40-90 ms), see (f)
  <ns> - UNPAUSE         the harness is about to delete the pause opened by
                          the last FAULT pause (a resume): from here a node
                          may see it end and promote as after any pause, see (f)
  <ns> - RESUME [<how>]   the pause opened by the last FAULT pause is over on
                          every node by here (how: resumed or expired), see (f)
  <ns> - HEAL             every fault is healed from here on (a pause may
                          still run on: it ends at its RESUME, see (f))
  <ns> - CONFIG session_timeout_ms=<n>   once at the top (default 2000)
  <ns> - END              the run ended here
  <ns> <id> VIP <until>   the floating address was seen on <id>'s host from
                          <ns> (the end of the first read that saw it) to
                          <until> (the start of the last one, in ns), so the
                          host surely held it in between (test/chaos.sh
                          NETNS=1's poller), see (g)

<ns> is nanoseconds since the Unix epoch. Lines after the first END are not
checked (a warning says how many; the watchdog log's are dropped silently).
Without an END line the run is taken to end at the last line (with a
warning). Below, T is session_timeout_ms and a "lead" of a node is the time
during which it leads.

(a) Never two leaders at once.
    A node leads from its promote START to its demote END (a demote hook that
    is still running is still the leader's). A KILL ends its lead at once (the
    daemon is gone; a hook it left running is an orphan and its end line, if
    one comes, is ignored). An open lead ends at END. With --watchdog, a
    reset of the node's stand-in ends its lead too (see (e)). Leads of two
    different nodes must not overlap (windows that merely touch do not
    overlap).
    Frozen exception (without --watchdog only; counted as "frozen-leader
    exceptions used"): a node that is leading when STOPped and stays stopped
    long enough for its session to expire can be stopped by nothing in
    ZooKeeper (another node is elected; the fencing token is the defence).
    "Long enough" is more than 2/3 of T, not T: the server expires a session
    T after it last heard from the client, and an idle client is heard from
    only every T/3 (its pings), so the session of a node frozen for 0.7 T may
    be gone before it wakes. Such a lead is split into [promote start, STOP]
    and a post-wake window [CONT, demote end]. Only the post-wake window may
    overlap another node's lead, and only when both hold: its length is <
    the duration (end - start) of the demote that ends it + 100 ms (the node
    demoted at once on waking, before doing anything else), and the other
    node's lead carries a greater epoch than the frozen node's. A post-wake
    window that overlaps nothing is not constrained (the session may have
    survived, e.g. ZooKeeper was down too). A post-wake window that ends
    without a demote (KILL, END) counts a demote of 0 ms. Two post-wake
    windows must not overlap each other.
    A node frozen that long whose demote ends during the freeze, or that is
    killed while still stopped, or that is still stopped at END: its lead
    ends at the STOP (no post-wake window). After a shorter freeze
    nothing is split: the lead runs on as if there had been no freeze.
    (Hooks are separate processes: a SIGSTOP of the daemon does not stop a
    hook already running. Per the exception, the lead still counts only up to
    the STOP.)
    With --watchdog there is no frozen exception and nothing is split: a
    frozen leader leads on through its freeze until its demote ends, a KILL,
    or its stand-in's reset (the device reset the host: its lead ends there),
    and any overlap with another node's lead is a violation. A frozen leader
    must be reset before another node can be elected: that is what the
    watchdog is for.
    Forced-handover exception: an operator who deletes the leader's znode by
    hand forces a handover (zkelectd(8), docs/safety.md); the successor learns of it when the
    old leader does, or before it when the old leader's connection is down
    at that moment (it learns when it reconnects, and rule 6 ends its lead
    at its deadline, T/2 after its last answered request, if it does not),
    so nothing can make it wait. A lead ended by a demote with reason
    "deleted" (or by a KILL while that demote runs, which only shortens it:
    the demote's time counts up to the KILL) may overlap the next node's
    lead when the overlap is under that demote's duration + T/2 + 100 ms
    and the next lead's epoch is greater. Counted as "forced handovers".
    Rule (a) applies in pause windows (f) as everywhere: a pause, its expiry
    or its resume, and a lost connection or a crash meeting them, must never
    give two leaders at once. No reason of a promote or demote earns an
    exception here but "deleted" (above) and the frozen one: a switchover
    (demote reason switchover, then the target's promote reason switchover),
    a forced switchover (promote reason forced) and the reconciliation at a
    pause's end (reason pause-ended) are handovers like any other: the old
    lead ends before the new one starts.

(b) Per node, promote and demote strictly alternate (hook starts count).
    A promote start while the node's previous promote has not been followed
    by a demote start is a violation; so is a demote start right after
    another demote start, except a start-up demote (reason startup), which
    may come at any time (it is idempotent by design: a clean SIGTERM stop
    ends with a shutdown demote, then the restarted daemon's startup demote).
    A KILL resets the node's sequence: its next run starts afresh. Follow
    runs are not part of the sequence.
    Pauses (f) add two exceptions, each only when a pause window overlaps
    the time from the node's previous start to this one. A promote with
    reason pause-ended may follow the node's promote with no demote between:
    a leader runs promote again when a pause ends (its service was left
    alone while paused); counted as "promotes run again at a pause's end".
    A demote with reason pause-ended may follow the node's demote with no
    promote between: a start-up demote held by the pause (the daemon was
    started while paused and its service may be primary, or, elected and
    then yielding, it counts its start-up demote as due) runs when the pause
    ends, with that reason, and is a start-up demote like any other; counted
    as "start-up demotes run at a pause's end". Any other promote after a
    promote is a violation, whatever its reason (switchover, forced, ...),
    and so is any other demote after a demote.

(c) Fencing tokens. Every promote carries an epoch. Taken in time order over
    all nodes, a promote's epoch is >= every earlier promote's epoch; an
    epoch belongs to one node only (a promote by a node other than the one
    that last promoted must carry a strictly greater epoch than every earlier
    one). The same node may promote again with the same epoch only when its
    znode survived: i.e. its last demote since that promote had reason
    connection-lost (zkelectd(8): reconnected within the same session) or
    pause-ended (a pause that ended while the node was cut off: the demote
    of a lost connection, held until then, carries the pause's reason) and
    it was not killed since, or had reason startup (a new process or image
    that kept its session: its resume was not answered in time, so it
    demoted, and the session answered later); after any other demote
    (resigned, session-expired, deleted, switchover, ...) or a KILL it holds
    a new znode
    and must carry a greater epoch, except a promote with reason "resumed": a
    daemon restarted (after a KILL, or a reset of its host) that resumed its
    ZooKeeper session finds its znode still leading and leads again with the
    same epoch. It is not a new election; the rules above still apply to it
    (no other node may have promoted since with that epoch or a greater one:
    it could not have while the znode led). For the overlaps of (a) and the
    gaps of (d) it is a new lead from its start: nothing led while the
    daemon was down.

(d) Liveness after faults heal. X = T + 5000 ms. For each HEAL at h, some
    node must be leading at some instant in [h, h + X]: a lead going on at h,
    or a promote start by h + X. A frozen node's post-wake window counts as
    a lead here only when it is not an immediate demote (not under its
    demote's duration + 100 ms: the node went on leading after waking). If
    END or the next FAULT comes before h + X and before any leader, the HEAL
    is "not judged". In a healed stretch (from a HEAL to the
    next FAULT or END), a leaderless gap that begins after the HEAL (a lead
    ended and no other lead runs) must also end within X; a gap cut short by
    the next FAULT or END within X is not judged. (So a harness must write
    END before it stops the nodes for good.)
    Pauses (f) are taken out: a HEAL inside a pause window is judged from
    the window's end (its RESUME) instead, and a leaderless gap is judged
    from the end of the pause window it begins in, if it does.
    Also reported, as a figure: the longest leaderless gap over the run (from
    one lead's end to the next promote start, after the first promote, not
    counting its part inside pause windows), and how long the run ended
    leaderless, if it did.

(e) The watchdog, with --watchdog WDLOG. WDLOG holds the lines of the
    watchdog stand-ins (test/wdstandin.c), one per node, with <id> the
    election id and <ns> on the same clock as the event log:
      <ns> <id> ready | open | kick | magic-close | close-armed | reset
    with one more word for some (reset: ms since the last kick).
    A reset (armed and not kicked for its timeout) resets the node's host at
    <ns>: its lead, if one runs, ends there (a), and from then on the host
    is down: the harness must take it down (SIGKILL the daemon, which takes
    its hooks along) and write a KILL line for it at once. The node's lines
    between its reset and that KILL are what a dead host cannot have done:
    they are not checked (counted as "lines of reset hosts ignored"; a KILL
    more than 1 s late is a warning). A later promote is a new lead.
    (e1) A follower never opens the device. An open by a node that is not
    leading must be followed within 1 s by a promote start (or a TRY
    promote line) of that node: the daemon opens the device before its
    promote hook starts (a resumed daemon too). Not judged when a KILL,
    reset, STOP or END of the node comes within that second first. An open
    while leading (the new image of an in-place upgrade reopens the device
    without running a hook) is fine.
    (e2) A promote starts only while its node holds the device open (mode =
    required): at the promote start its last device event is an open (not a
    close), or its open is logged within 250 ms after the start (the
    stand-in writes its line when it gets to it).
    (e3) After a demote ends while its node holds the device open, a
    magic-close of that node follows within 1 s (the daemon disarms the
    device once its demote has ended). A warning, not a violation, when it
    does not (unless a KILL, reset, STOP or END came first).
    Also a warning: a reset that ends a lead more than T after a HEAL with no
    FAULT since (nothing should have kept that leader from kicking).
    Reported: resets (and how many ended a lead), opens, kicks, magic and
    armed closes.

(f) Pauses (zkelectctl pause, or PATH/pause written by the harness). A pause
    window runs from a "FAULT pause" line to the next RESUME line (to END,
    with a warning, when none comes; a second FAULT pause before the RESUME
    is a warning and changes nothing). The harness writes FAULT pause before
    it writes the pause, and RESUME once the pause is over on every node at
    the latest: after its resume (the pause deleted) or, when it let the
    pause expire, once for_ms has passed since it wrote the pause; in both
    cases only when no running daemon's state file says PAUSED=yes any more
    (a node that read the pause late times it from then, unless the first
    node whose clock ended it has deleted it; a pause still in ZooKeeper
    then is deleted by the harness, which waits again). While paused, the
    daemons run no hook on their own: a leader keeps its service (also
    through a lost connection, once ZooKeeper has confirmed the breadcrumb)
    and no node promotes, so no leader is required: (d) does not judge the
    window (a leaderless stretch in it is only reported). Rules (a), (b) and
    (c) hold throughout. The only promote expected inside a window is a
    forced switchover's (reason forced), and those of the window's end
    (reason pause-ended: the reconciliation, which may start before the
    RESUME line); a demote after a lost connection that ZooKeeper did not
    confirm (reason connection-lost or session-expired) runs too. Reported:
    the pauses (how many, how they ended, the time paused), the hook starts
    inside pause windows by event and reason, and a warning for each promote
    that starts more than 1 s after the pause was written (its PAUSED line;
    without one, after the window opened), before for_ms has passed since
    the window opened (when the FAULT line gives it: a pause may run out
    before its RESUME line) and before the harness began to resume it (its
    UNPAUSE line: a node elected once its pause has ended promotes with
    reason elected, e.g. when the leader that kept its service loses its
    session after the resume), and whose reason is none of forced,
    pause-ended and resumed (a restarted daemon that resumed its session
    while paused promotes with reason resumed once the pause is over, which
    may be before the RESUME line: the harness resumes at the heal); such a
    promote is not a violation in itself ((a) judges any overlap).

(g) The floating address is never on two hosts at once. Each VIP line is a
    stretch in which that host surely held the address (one whose <until>
    is not after its <ns>, a single sighting, proves no interval and is only
    counted; one that runs past END is cut there). Stretches of two
    different hosts must not overlap (touching is not overlapping). No exception, frozen or other: the
    address moves only by a promote, which first probes for another holder
    and refuses while one answers (scripts/hooks/vip/vip), and the harness's
    fence takes it off a killed or frozen old leader's host. Reported: the
    stretches and hosts, the single sightings.

Output: a summary on stdout, one "VIOLATION (x): ..." line per violation, one
"warning: ..." line per malformed or odd line, and last "verdict: OK" or
"verdict: N violations". With --json FILE the same figures go to FILE as JSON.
Exit status: 0 when OK, 1 with violations, 2 on a usage error or an
unreadable log (either one).
"""

import bisect
import json
import sys

MS = 1000000
DEFAULT_TIMEOUT_MS = 2000
WAKE_SLACK_MS = 100
LIVENESS_SLACK_MS = 5000
HOOK_EVENTS = ("promote", "demote", "follow")
WD_EVENTS = ("ready", "open", "kick", "magic-close", "close-armed", "reset")
WD_FOLLOW_MS = 1000     # (e1) open -> promote, (e3) demote end -> magic-close
WD_OPEN_LATE_MS = 250   # (e2) an open logged this late after the promote start
WD_KILL_LATE_MS = 1000  # a reset host the harness took down later than this
PAUSE_SEEN_MS = 1000    # (f) a promote this long after a pause opened: warned
# (f) the promotes of a pause: forced; at its end, the reconciliation's and a
# resumed session's, held until then
PAUSE_PROMOTES = ("forced", "pause-ended", "resumed")


class Event:
    """One parsed log line."""

    __slots__ = ("ns", "idx", "lineno", "node", "kind", "kind_event",
                 "phase", "epoch", "reason", "role", "fault", "target", "wd")

    def __init__(self, ns, idx, lineno, node, kind):
        self.ns = ns
        self.idx = idx
        self.lineno = lineno
        self.node = node
        self.kind = kind
        self.kind_event = None
        self.phase = None
        self.epoch = None
        self.reason = None
        self.role = None
        self.fault = None
        self.target = None
        self.wd = None


class Lead:
    """A node's current lead (one window, or its post-wake part)."""

    def __init__(self, start, epoch):
        self.start = start
        self.epoch = epoch
        self.seg_start = start
        self.seg_kind = "lead"
        self.stop_ns = None
        self.cont_ns = None
        self.pending_end = None
        self.pending_dd = 0
        self.demote_at = None      # a demote of this lead runs since (ns)
        self.demote_reason = None


class Node:
    """What the checker knows about one daemon id."""

    def __init__(self, name):
        self.name = name
        self.lead = None
        self.stop_at = None
        self.open = {}
        self.orphans = {}
        self.last_start = None
        self.last_start_ns = None
        self.prev_epoch = None
        self.keep_ok = None
        self.keep_why = None
        self.promotes = 0
        self.tried_ns = None
        # (e): the watchdog
        self.down_since = None  # reset at this ns; the harness's KILL pending
        self.wd_open = False    # its last device event was an open
        self.promote_ns = []    # promote starts and TRY promote lines
        self.cut_ns = []        # KILL, reset, STOP: what may cut a run short
        self.open_ns = []
        self.magic_ns = []


class Checker:
    """Walks the sorted events, builds lead windows, collects violations."""

    def __init__(self, events, warnings, timeout_ms, end_ns, t0,
                 watchdog=False):
        self.events = events
        self.watchdog = watchdog
        self.warnings = warnings
        self.timeout_ms = timeout_ms
        self.end_ns = end_ns
        self.t0 = t0
        self.nodes = {}
        self.segments = []
        self.violations = []
        self.forced = 0
        self.unrecorded = 0
        self.faults = {}
        self.fault_times = []
        self.heals = []
        self.heal_reports = []
        self.promotes = 0
        self.max_epoch = None
        self.max_epoch_ev = None
        self.epoch_owner = {}
        self.gap = None
        self.trailing_gap = None
        self.frozen_used = 0
        self.wd_counts = dict.fromkeys(WD_EVENTS, 0)
        self.resets = []
        self.ignored = 0
        self.open_checks = []
        self.unguarded = []
        self.close_checks = []
        # (f): the pause windows, and what ran in them
        self.pauses = self.find_pauses()
        self.repromotes = 0
        self.held_demotes = 0
        self.paused_hooks = {}
        self.paused_gap = 0
        # (g): the floating address
        self.vip_spans = []
        self.vip_sightings = 0

    def find_pauses(self):
        """The pause windows (f): FAULT pause to the next RESUME, or END."""
        pauses, cur = [], None
        for ev in self.events:
            if ev.kind == "FAULT" and ev.fault == "pause":
                if cur is not None:
                    self.warnings.append(
                        "line %d: FAULT pause while the pause opened at %s "
                        "runs (no RESUME between): it changes nothing"
                        % (ev.lineno, self.ts(cur["start"])))
                    continue
                cur = {"start": ev.ns, "end": None, "how": None,
                       "for_ms": None, "written": None, "unpause": None}
                key, eq, val = (ev.target or "").partition("=")
                if key == "for_ms" and eq and parse_int(val) is not None:
                    cur["for_ms"] = int(val)
            elif ev.kind == "PAUSED":
                if cur is not None and cur["written"] is None:
                    cur["written"] = ev.ns
            elif ev.kind == "UNPAUSE":
                if cur is not None and cur["unpause"] is None:
                    cur["unpause"] = ev.ns
            elif ev.kind == "RESUME":
                if cur is None:
                    self.warnings.append("line %d: RESUME with no pause "
                                         "running" % ev.lineno)
                    continue
                cur["end"], cur["how"] = ev.ns, ev.target or "-"
                pauses.append(cur)
                cur = None
        if cur is not None:
            self.warnings.append("the pause opened at %s never ended (no "
                                 "RESUME line): it runs to END"
                                 % self.ts(cur["start"]))
            cur["end"], cur["how"] = self.end_ns, "never"
            pauses.append(cur)
        return pauses

    # --- helpers ---

    def ts(self, ns):
        """A timestamp as the raw ns and the offset from the first line."""
        return "%d (+%.3f s)" % (ns, (ns - self.t0) / 1e9)

    def violate(self, rule, ns, msg):
        """Record a violation of RULE found at time NS."""
        self.violations.append({"rule": rule, "ns": ns, "message": msg})

    def node(self, name):
        """The Node for NAME, created on first use."""
        if name not in self.nodes:
            self.nodes[name] = Node(name)
        return self.nodes[name]

    def pause_at(self, t):
        """The pause window (f) that T falls in, or None."""
        for p in self.pauses:
            if p["start"] <= t < p["end"]:
                return p
        return None

    def paused_between(self, a, b):
        """True when a pause window overlaps [A, B]."""
        return any(p["start"] <= b and p["end"] >= a for p in self.pauses)

    def unpaused(self, t):
        """T, or the end of the pause window T falls in (f)."""
        p = self.pause_at(t)
        while p is not None:
            t = p["end"]
            p = self.pause_at(t)
        return t

    def paused_part(self, a, b):
        """How much of [A, B] lies in pause windows, in ns."""
        return sum(max(0, min(b, p["end"]) - max(a, p["start"]))
                   for p in self.pauses)

    def long_freeze(self, n, now):
        """True when N, stopped, has been stopped for more than 2T/3 at NOW
        (never with --watchdog: no frozen exception, nothing is split)."""
        return (not self.watchdog and n.stop_at is not None and
                3 * (now - n.stop_at) > 2 * self.timeout_ms * MS)

    def close(self, n, end, cause, dd=0, reason=None):
        """Close N's current lead segment at END (and forget the lead)."""
        ld = n.lead
        self.segments.append({
            "node": n.name, "kind": ld.seg_kind, "start": ld.seg_start,
            "end": max(end, ld.seg_start), "epoch": ld.epoch,
            "end_cause": cause, "demote_ns": dd, "stop_ns": ld.stop_ns,
            "cont_ns": ld.cont_ns, "reason": reason})
        n.lead = None

    def finish_lead(self, n, now, cause):
        """End N's lead because of a KILL or END at NOW (STOP rules apply)."""
        ld = n.lead
        if ld is None:
            return
        if self.long_freeze(n, now):
            self.close(n, max(ld.seg_start, n.stop_at),
                       "STOP (frozen, then %s)" % cause)
        elif ld.pending_end is not None:
            self.close(n, ld.pending_end, "demote end", ld.pending_dd)
        elif ld.demote_at is not None:
            # killed while its demote ran: the lead ends sooner, for the
            # demote's reason (a forced handover's "deleted", say)
            self.close(n, now, cause, now - ld.demote_at, ld.demote_reason)
        else:
            self.close(n, now, cause)

    # --- the walk ---

    def run(self):
        """Check every rule; fill self.violations."""
        for ev in self.events:
            n = self.nodes.get(ev.node)
            if n is not None and n.down_since is not None and \
                    ev.kind != "KILL":
                self.ignored += 1  # (e): its host is down since its reset
                continue
            getattr(self, "on_" + ev.kind.lower())(ev)
        for name in sorted(self.nodes):
            n = self.nodes[name]
            self.finish_lead(n, self.end_ns, "END")
            if n.down_since is not None:
                self.warnings.append(
                    "%s: reset at %s and never taken down (no KILL line): "
                    "its lines after the reset were not checked"
                    % (name, self.ts(n.down_since)))
        self.check_overlaps()
        self.check_liveness()
        self.check_vip()
        if self.watchdog:
            self.check_watchdog()
        self.violations.sort(key=lambda v: (v["ns"], v["rule"]))

    def on_hook(self, ev):
        """A hook line: dispatch on event and phase."""
        n = self.node(ev.node)
        if ev.phase == "start":
            self.paused_hook(n, ev)
            if ev.kind_event == "promote":
                self.promote_start(n, ev)
            elif ev.kind_event == "demote":
                self.demote_start(n, ev)
            n.open[ev.kind_event] = ev.ns
            return
        start = n.open.pop(ev.kind_event, None)
        if start is None:
            if n.orphans.pop(ev.kind_event, None) is not None:
                self.warnings.append(
                    "line %d: %s's %s end after its KILL (an orphaned hook): "
                    "ignored" % (ev.lineno, n.name, ev.kind_event))
                return
            self.warnings.append("line %d: %s's %s end without a start"
                                 % (ev.lineno, n.name, ev.kind_event))
        if ev.kind_event == "demote":
            self.demote_end(n, ev, ev.ns - start if start is not None else 0)

    def paused_hook(self, n, ev):
        """(f): count a hook start inside a pause window; warn about a promote
        that a pause should have held."""
        p = self.pause_at(ev.ns)
        if p is None:
            return
        key = "%s %s" % (ev.kind_event, ev.reason or "-")
        self.paused_hooks[key] = self.paused_hooks.get(key, 0) + 1
        # held until the window's end, the resume's start or for_ms
        ends = [p["end"], p["unpause"]]
        if p["for_ms"] is not None:
            ends.append(p["start"] + p["for_ms"] * MS)
        held = min(t for t in ends if t is not None)
        seen = p["written"] if p["written"] is not None else p["start"]
        if ev.kind_event == "promote" and ev.reason not in PAUSE_PROMOTES \
                and seen + PAUSE_SEEN_MS * MS < ev.ns < held:
            self.warnings.append(
                "%s: promote at %s (reason %s, epoch %s) while paused since %s "
                "(only a forced switchover promotes while paused)"
                % (n.name, self.ts(ev.ns), ev.reason or "-",
                   fmt_epoch(ev.epoch), self.ts(p["start"])))

    def promote_start(self, n, ev):
        """A promote starts: rules (b), (c); open a lead."""
        self.promotes += 1
        n.promotes += 1
        if n.last_start == "promote" and ev.reason == "pause-ended" and \
                self.paused_between(n.last_start_ns, ev.ns):
            self.repromotes += 1  # (b): the leader's promote at a pause's end
        elif n.last_start == "promote":
            self.violate("b", ev.ns, "%s: promote start at %s (epoch %s) "
                         "follows its promote start at %s with no demote "
                         "between" % (n.name, self.ts(ev.ns),
                                      fmt_epoch(ev.epoch),
                                      self.ts(n.last_start_ns)))
        self.check_epoch(n, ev)
        n.last_start, n.last_start_ns = "promote", ev.ns
        n.promote_ns.append(ev.ns)
        if self.watchdog and not n.wd_open:
            self.unguarded.append((n.name, ev.ns, ev.epoch))
        if n.lead is not None and n.lead.pending_end is not None:
            self.close(n, n.lead.pending_end, "demote end", n.lead.pending_dd)
        if n.lead is None:
            n.lead = Lead(ev.ns, ev.epoch)

    def check_epoch(self, n, ev):
        """Rule (c) for the promote EV of node N."""
        e = ev.epoch
        if e is None:
            self.violate("c", ev.ns, "%s: promote at %s carries no epoch "
                         "(fencing token)" % (n.name, self.ts(ev.ns)))
        elif self.max_epoch is not None and e < self.max_epoch:
            m = self.max_epoch_ev
            self.violate("c", ev.ns, "%s: promote at %s with epoch %d, lower "
                         "than epoch %d of %s's promote at %s (epochs must "
                         "never go backwards)" % (n.name, self.ts(ev.ns), e,
                                                  self.max_epoch, m.node,
                                                  self.ts(m.ns)))
        elif self.epoch_owner.get(e, ev).node != n.name:
            o = self.epoch_owner[e]
            self.violate("c", ev.ns, "%s: promote at %s with epoch %d, the "
                         "same epoch as %s's promote at %s (a different "
                         "leader must carry a strictly greater epoch)"
                         % (n.name, self.ts(ev.ns), e, o.node, self.ts(o.ns)))
        elif e == n.prev_epoch and n.keep_ok is False and \
                ev.reason != "resumed":
            self.violate("c", ev.ns, "%s: promote at %s keeps epoch %d after "
                         "%s; only a reconnection within the same session (a "
                         "connection-lost demote) may keep the epoch, a new "
                         "znode has a greater one"
                         % (n.name, self.ts(ev.ns), e, n.keep_why))
        if e is not None:
            if self.max_epoch is None or e > self.max_epoch:
                self.max_epoch, self.max_epoch_ev = e, ev
            self.epoch_owner.setdefault(e, ev)
            n.prev_epoch = e
        n.keep_ok = None

    def demote_start(self, n, ev):
        """A demote starts: rule (b), and whether the epoch may be kept."""
        if n.last_start == "demote" and ev.reason != "startup" and \
                n.tried_ns is not None and n.tried_ns > n.last_start_ns:
            # the daemon began a promote between the two demotes (its log
            # says so) but stopped it before the hook recorded itself
            self.unrecorded += 1
            self.warnings.append("%s: a promote begun at %s was stopped before "
                                 "its hook recorded itself" % (
                                     n.name, self.ts(n.tried_ns)))
        elif n.last_start == "demote" and ev.reason == "pause-ended" and \
                self.paused_between(n.last_start_ns, ev.ns):
            self.held_demotes += 1  # (b): a start-up demote a pause held
        elif n.last_start == "demote" and ev.reason != "startup":
            self.violate("b", ev.ns, "%s: demote start at %s (reason %s) "
                         "follows its demote start at %s with no promote "
                         "between (only a startup demote may repeat)"
                         % (n.name, self.ts(ev.ns), ev.reason or "-",
                            self.ts(n.last_start_ns)))
        n.last_start, n.last_start_ns = "demote", ev.ns
        n.tried_ns = None
        if n.lead is not None:
            n.lead.demote_at, n.lead.demote_reason = ev.ns, ev.reason
        if ev.reason == "startup":
            # a new process or image: it may have resumed its session, whose
            # znode (the same epoch) may lead once ZooKeeper answers for it
            n.keep_ok = True
        elif ev.reason in ("connection-lost", "pause-ended"):
            if n.keep_ok is None:
                n.keep_ok = True
        else:
            n.keep_ok = False
            n.keep_why = "a %s demote at %s" % (ev.reason or "-",
                                                self.ts(ev.ns))

    def demote_end(self, n, ev, dd):
        """A demote ends: the node's lead (if any) ends here."""
        if self.watchdog and n.wd_open:
            self.close_checks.append((n.name, ev.ns))
        if n.lead is None:
            return
        if n.stop_at is not None:
            # a hook runs on while the daemon is frozen: settle it at CONT
            n.lead.pending_end, n.lead.pending_dd = ev.ns, dd
            return
        self.close(n, ev.ns, "demote end", dd, ev.reason)

    def on_kill(self, ev):
        """The harness SIGKILLed a daemon: its lead ends, its runs restart."""
        n = self.node(ev.node)
        self.finish_lead(n, ev.ns, "KILL")
        n.cut_ns.append(ev.ns)
        if n.down_since is not None:
            # the runs its reset left are orphans already (on_reset)
            late = (ev.ns - n.down_since) / MS
            if late > WD_KILL_LATE_MS:
                self.warnings.append(
                    "line %d: %s taken down (KILL) %.1f ms after its reset at "
                    "%s (over %d ms)" % (ev.lineno, n.name, late,
                                         self.ts(n.down_since),
                                         WD_KILL_LATE_MS))
            n.down_since = None
        else:
            n.orphans = n.open
        n.wd_open = False  # a dead process holds no device open
        n.stop_at = None
        n.open = {}
        n.last_start = None
        n.tried_ns = None
        n.keep_ok = False
        n.keep_why = "its KILL at %s" % self.ts(ev.ns)

    def on_try(self, ev):
        """The daemon began a promote run (its own log): for (b) and (e1)."""
        n = self.node(ev.node)
        n.tried_ns = ev.ns
        n.promote_ns.append(ev.ns)

    def on_stop(self, ev):
        """The harness froze a daemon."""
        n = self.node(ev.node)
        if n.stop_at is not None:
            self.warnings.append("line %d: STOP of %s, already stopped since "
                                 "%s" % (ev.lineno, n.name,
                                         self.ts(n.stop_at)))
            return
        n.stop_at = ev.ns
        n.cut_ns.append(ev.ns)

    def on_cont(self, ev):
        """The harness woke a daemon: split its lead after a long freeze."""
        n = self.node(ev.node)
        if n.stop_at is None:
            self.warnings.append("line %d: CONT of %s, which was not stopped"
                                 % (ev.lineno, n.name))
            return
        ld = n.lead
        if ld is not None:
            if self.long_freeze(n, ev.ns):
                self.close(n, max(ld.seg_start, n.stop_at),
                           "STOP (frozen %.1f ms)"
                           % ((ev.ns - n.stop_at) / MS))
                if ld.pending_end is None:
                    n.lead = ld
                    ld.seg_kind = "wake"
                    ld.seg_start = ld.cont_ns = ev.ns
                    ld.stop_ns = n.stop_at
            elif ld.pending_end is not None:
                self.close(n, ld.pending_end, "demote end", ld.pending_dd)
        n.stop_at = None

    def on_fault(self, ev):
        """The harness injected a fault."""
        self.faults[ev.fault] = self.faults.get(ev.fault, 0) + 1
        self.fault_times.append(ev.ns)

    def on_heal(self, ev):
        """Every fault healed."""
        self.heals.append(ev.ns)

    def on_resume(self, ev):
        """A pause ended: its window is known already (find_pauses)."""

    def on_paused(self, ev):
        """A pause was written: known already (find_pauses)."""

    def on_unpause(self, ev):
        """A resume begins: known already (find_pauses)."""

    def on_vip(self, ev):
        """(g): a stretch in which a host surely held the floating address."""
        end = min(ev.epoch, self.end_ns)
        if end > ev.ns:
            self.vip_spans.append((ev.ns, end, ev.node))
        else:
            self.vip_sightings += 1

    def check_vip(self):
        """(g): no two hosts' stretches overlap."""
        active = []
        for s in sorted(self.vip_spans):
            active = [a for a in active if a[1] > s[0]]
            for a in active:
                if a[2] != s[2]:
                    self.violate("g", s[0], "the floating address was on %s "
                                 "and %s at once for %.1f ms: %s held it from "
                                 "%s to %s, %s from %s to %s" % (
                                     a[2], s[2],
                                     (min(a[1], s[1]) - s[0]) / MS,
                                     a[2], self.ts(a[0]), self.ts(a[1]),
                                     s[2], self.ts(s[0]), self.ts(s[1])))
            active.append(s)

    def on_wd(self, ev):
        """A watchdog stand-in's line (with --watchdog): rule (e)."""
        n = self.node(ev.node)
        self.wd_counts[ev.wd] += 1
        if ev.wd == "open":
            if n.lead is None:
                self.open_checks.append((n.name, ev.ns))
            n.wd_open = True
            n.open_ns.append(ev.ns)
        elif ev.wd in ("magic-close", "close-armed"):
            n.wd_open = False
            if ev.wd == "magic-close":
                n.magic_ns.append(ev.ns)
        elif ev.wd == "reset":
            self.on_reset(n, ev)

    def on_reset(self, n, ev):
        """N's host is reset: its lead ends, and it is down until its KILL."""
        ld, ended = n.lead, False
        if ld is not None:
            if ld.pending_end is not None:  # its demote ended while stopped
                self.close(n, ld.pending_end, "demote end", ld.pending_dd)
            else:
                self.close(n, ev.ns, "watchdog reset")
                ended = True
        self.resets.append({"node": n.name, "ns": ev.ns,
                            "ended_lead": ended})
        n.down_since = ev.ns
        n.cut_ns.append(ev.ns)
        n.orphans = n.open
        n.open = {}

    # --- rule (a) ---

    def check_overlaps(self):
        """Rule (a) over every pair of overlapping segments of two nodes."""
        segs = sorted((s for s in self.segments if s["end"] > s["start"]),
                      key=lambda s: (s["start"], s["end"]))
        active = []
        for s in segs:
            active = [o for o in active if o["end"] > s["start"]]
            for o in active:
                if o["node"] != s["node"]:
                    self.judge_overlap(o, s)
            active.append(s)

    def judge_overlap(self, x, y):
        """Rule (a) for two overlapping segments X and Y of two nodes."""
        lap = (min(x["end"], y["end"]) - max(x["start"], y["start"])) / MS
        at = max(x["start"], y["start"])
        if x["kind"] == "lead" and y["kind"] == "lead":
            if forced_handover(x, y, self.timeout_ms) or \
                    forced_handover(y, x, self.timeout_ms):
                self.forced += 1
                return
            self.violate("a", at, "%s and %s led at once for %.1f ms: %s; %s"
                         % (x["node"], y["node"], lap, self.desc(x),
                            self.desc(y)))
            return
        if x["kind"] == "wake" and y["kind"] == "wake":
            self.violate("a", at, "two woken frozen leaders overlap for %.1f "
                         "ms: %s; %s" % (lap, self.desc(x), self.desc(y)))
            return
        w, o = (x, y) if x["kind"] == "wake" else (y, x)
        why = []
        length = (w["end"] - w["start"]) / MS
        if not immediate_demote(w):
            why.append("its post-wake window lasted %.1f ms, not under its "
                       "demote's %.1f ms + %d ms (it did not demote at once "
                       "on waking)" % (length, w["demote_ns"] / MS,
                                       WAKE_SLACK_MS))
        if w["epoch"] is None or o["epoch"] is None or \
                o["epoch"] <= w["epoch"]:
            why.append("%s's epoch %s is not greater than the frozen %s's "
                       "epoch %s" % (o["node"], fmt_epoch(o["epoch"]),
                                     w["node"], fmt_epoch(w["epoch"])))
        if not why:
            self.frozen_used += 1
            return
        self.violate("a", at, "%s, frozen for %.1f ms (> 2/3 of the "
                     "session timeout %d ms), overlaps %s's lead for %.1f "
                     "ms after waking: %s; %s; %s"
                     % (w["node"], (w["cont_ns"] - w["stop_ns"]) / MS,
                        self.timeout_ms, o["node"], lap, "; ".join(why),
                        self.desc(w), self.desc(o)))

    def desc(self, s):
        """Describe segment S for a message."""
        if s["kind"] == "wake":
            return ("%s (epoch %s) stopped at %s, woke at %s and led again "
                    "until %s (%s)" % (s["node"], fmt_epoch(s["epoch"]),
                                       self.ts(s["stop_ns"]),
                                       self.ts(s["cont_ns"]),
                                       self.ts(s["end"]), s["end_cause"]))
        return ("%s (epoch %s) led from %s (promote start) to %s (%s)"
                % (s["node"], fmt_epoch(s["epoch"]), self.ts(s["start"]),
                   self.ts(s["end"]), s["end_cause"]))

    # --- rule (e) ---

    def within(self, times, t, ms):
        """The first of the sorted TIMES in [T, T + MS ms], or None."""
        i = bisect.bisect_left(times, t)
        return times[i] if i < len(times) and times[i] <= t + ms * MS \
            else None

    def cut_short(self, n, t, ms):
        """True when N's run from T cannot be judged for MS ms: a KILL,
        reset or STOP of N, or END, comes first."""
        return (t + ms * MS > self.end_ns or
                self.within(n.cut_ns, t, ms) is not None)

    def check_watchdog(self):
        """Rules (e1)-(e3), and resets in a healed stretch."""
        for name, t in self.open_checks:
            n = self.nodes[name]
            if self.within(n.promote_ns, t, WD_FOLLOW_MS) is None and \
                    not self.cut_short(n, t, WD_FOLLOW_MS):
                self.violate("e", t, "%s opened the watchdog device at %s "
                             "while not leading, and no promote of %s "
                             "followed within %d ms (a follower never opens "
                             "it)" % (name, self.ts(t), name, WD_FOLLOW_MS))
        for name, t, epoch in self.unguarded:
            n = self.nodes[name]
            if self.within(n.open_ns, t, WD_OPEN_LATE_MS) is None:
                self.violate("e", t, "%s's promote at %s (epoch %s) started "
                             "without the watchdog device open (no open "
                             "before it, none logged within %d ms after)"
                             % (name, self.ts(t), fmt_epoch(epoch),
                                WD_OPEN_LATE_MS))
        for name, t in self.close_checks:
            n = self.nodes[name]
            if self.within(n.magic_ns, t, WD_FOLLOW_MS) is None and \
                    not self.cut_short(n, t, WD_FOLLOW_MS):
                self.warnings.append(
                    "%s's demote ended at %s with the watchdog device open, "
                    "and no magic close followed within %d ms"
                    % (name, self.ts(t), WD_FOLLOW_MS))
        for r in self.resets:
            heals = [h for h in self.heals if h <= r["ns"]]
            if not r["ended_lead"] or not heals:
                continue
            h = heals[-1]
            if r["ns"] - h > self.timeout_ms * MS and \
                    not [f for f in self.fault_times if h < f <= r["ns"]]:
                self.warnings.append(
                    "%s's reset at %s ended its lead %.1f ms after the HEAL "
                    "at %s, with no fault since" % (
                        r["node"], self.ts(r["ns"]), (r["ns"] - h) / MS,
                        self.ts(h)))

    # --- rule (d) ---

    def coverage(self):
        """The merged [start, end] intervals in which some node led (for d)."""
        ivs = sorted((s["start"], s["end"]) for s in self.segments
                     if s["end"] > s["start"] and
                     (s["kind"] == "lead" or not immediate_demote(s)))
        merged = []
        for a, b in ivs:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        return merged

    def check_liveness(self):
        """Rule (d) and the longest leaderless gap."""
        cov = self.coverage()
        gaps = [(cov[i][1], cov[i + 1][0]) for i in range(len(cov) - 1)]
        if gaps:
            # the figure: the longest gap, its part in pause windows left out
            self.gap = max(gaps, key=lambda g: g[1] - g[0] -
                           self.paused_part(g[0], g[1]))
        if cov and cov[-1][1] < self.end_ns:
            self.trailing_gap = (cov[-1][1], self.end_ns)
            gaps.append(self.trailing_gap)
        if not cov:
            gaps.append((self.t0, self.end_ns))
        self.paused_gap = max([self.paused_part(g0, g1) for g0, g1 in gaps] +
                              [0])
        limit = (self.timeout_ms + LIVENESS_SLACK_MS) * MS
        reported = set()
        for h in self.heals:
            nxt = [f for f in self.fault_times if f > h]
            stretch_end = min([self.end_ns] + nxt)
            self.judge_heal(h, cov, limit, stretch_end)
            for g0, g1 in gaps:
                if g0 <= h or g0 >= stretch_end or g0 in reported:
                    continue
                u0 = self.unpaused(g0)  # (f): a pause requires no leader
                if min(g1, stretch_end) - u0 > limit:
                    reported.add(g0)
                    self.violate("d", u0, "no leader from %s to %s (%.1f ms, "
                                 "over session timeout + %d ms) although no "
                                 "fault was active since the HEAL at %s%s"
                                 % (self.ts(u0), self.ts(g1),
                                    (g1 - u0) / MS, LIVENESS_SLACK_MS,
                                    self.ts(h), "" if u0 == g0 else
                                    " (the gap began at %s, in a pause that "
                                    "ended at %s)" % (self.ts(g0),
                                                      self.ts(u0))))

    def judge_heal(self, h, cov, limit, stretch_end):
        """Rule (d): a leader within T + 5 s of the HEAL at H, or of the end
        of the pause window H falls in (f)."""
        hp = self.unpaused(h)
        first = None
        for a, b in cov:
            if b > hp:
                first = max(a, hp)
                break
        deadline = hp + limit
        rep = {"ns": h, "status": None, "leader_after_ms": None,
               "pause_end_ns": hp if hp != h else None}
        since = "it" if hp == h else "the pause's end at %s" % self.ts(hp)
        if first is not None and first <= deadline:
            rep["status"] = "ok"
            rep["leader_after_ms"] = (first - hp) / MS
        elif stretch_end < deadline:
            rep["status"] = "not judged"
            why = "END" if stretch_end == self.end_ns else "a new FAULT"
            rep["note"] = "%s came %.1f ms after %s, before any leader" % (
                why, (stretch_end - hp) / MS, since)
        else:
            rep["status"] = "violation"
            self.violate("d", hp, "no leader within %d ms (session timeout + "
                         "%d ms) of the HEAL at %s%s: %s" % (
                             limit // MS, LIVENESS_SLACK_MS, self.ts(h),
                             "" if hp == h else " (paused until %s)"
                             % self.ts(hp),
                             "the next lead starts at %s, %.1f ms after %s"
                             % (self.ts(first), (first - hp) / MS, since)
                             if first is not None else
                             "no lead at all before END at %s"
                             % self.ts(self.end_ns)))
        self.heal_reports.append(rep)


def forced_handover(old, new, timeout_ms):
    """True when OLD's lead was ended by an operator deleting its znode (demote
    reason "deleted") and NEW took over meanwhile: the successor learns of the
    deletion when the old leader does, or, if the old leader's connection is
    down at that moment (a partition just healed, a member restarting),
    before it: the old leader learns when it reconnects, and rule 6 ends its
    lead at its deadline (T/2 after its last answered request) if it does
    not. Allowed when OLD's demote started within T/2 + 100 ms of NEW's
    promote (so the overlap is under its demote's duration + T/2 + 100 ms)
    and NEW's epoch is greater."""
    slack = (timeout_ms // 2 + WAKE_SLACK_MS) * MS
    return (old.get("reason") == "deleted" and old["start"] < new["start"] and
            old["end"] - new["start"] < old["demote_ns"] + slack and
            old["epoch"] is not None and new["epoch"] is not None and
            new["epoch"] > old["epoch"])


def immediate_demote(w):
    """True when post-wake segment W is shorter than its demote + 100 ms."""
    return w["end"] - w["start"] < w["demote_ns"] + WAKE_SLACK_MS * MS


def printable(words):
    """A line's WORDS for a warning, control bytes escaped."""
    return "".join(c if c.isprintable() else "\\x%02x" % ord(c)
                   if ord(c) < 0x100 else "\\u%04x" % ord(c)
                   for c in " ".join(words))


def fmt_epoch(e):
    """An epoch for a message ("-" when unknown)."""
    return "-" if e is None else str(e)


def parse_int(s):
    """A non-negative decimal integer, or None."""
    return int(s) if s.isdigit() and s.isascii() else None


def parse_line(words, idx, lineno, warnings, config):
    """Parse one line's WORDS into an Event, or None (with a warning)."""
    ns = parse_int(words[0])
    if ns is None or len(words) < 3:
        warnings.append("line %d: malformed: %s" % (lineno, printable(words)))
        return None
    node, kind = words[1], words[2]
    if kind in HOOK_EVENTS:
        if len(words) != 7 or words[3] not in ("start", "end") or \
                node == "-" or \
                (words[4] != "-" and parse_int(words[4]) is None):
            warnings.append("line %d: malformed hook line: %s"
                            % (lineno, printable(words)))
            return None
        ev = Event(ns, idx, lineno, node, "hook")
        ev.kind_event = kind
        ev.phase = words[3]
        ev.epoch = None if words[4] == "-" else int(words[4])
        ev.reason = None if words[5] == "-" else words[5]
        ev.role = None if words[6] == "-" else words[6]
        return ev
    if kind == "VIP":
        if len(words) != 4 or node == "-" or parse_int(words[3]) is None:
            warnings.append("line %d: malformed VIP line: %s"
                            % (lineno, printable(words)))
            return None
        ev = Event(ns, idx, lineno, node, kind)
        ev.epoch = int(words[3])  # the stretch's end (ns)
        return ev
    if kind == "TRY":
        if len(words) != 4 or node == "-" or words[3] != "promote":
            warnings.append("line %d: malformed TRY line: %s"
                            % (lineno, printable(words)))
            return None
        return Event(ns, idx, lineno, node, kind)
    if kind in ("KILL", "STOP", "CONT"):
        if len(words) != 3 or node == "-":
            warnings.append("line %d: malformed %s line: %s"
                            % (lineno, kind, printable(words)))
            return None
        return Event(ns, idx, lineno, node, kind)
    if node != "-" or kind not in ("FAULT", "HEAL", "CONFIG", "END",
                                   "RESUME", "PAUSED", "UNPAUSE"):
        warnings.append("line %d: unknown line: %s"
                        % (lineno, printable(words)))
        return None
    if kind == "FAULT":
        if len(words) not in (4, 5):
            warnings.append("line %d: malformed FAULT line: %s"
                            % (lineno, printable(words)))
            return None
        ev = Event(ns, idx, lineno, node, kind)
        ev.fault = words[3]
        ev.target = words[4] if len(words) == 5 else None
        return ev
    if kind == "CONFIG":
        parse_config(words[3:], lineno, warnings, config)
        return None
    if kind == "RESUME":
        if len(words) not in (3, 4):
            warnings.append("line %d: malformed RESUME line: %s"
                            % (lineno, printable(words)))
            return None
        ev = Event(ns, idx, lineno, node, kind)
        ev.target = words[3] if len(words) == 4 else None
        return ev
    if len(words) != 3:
        warnings.append("line %d: malformed %s line: %s"
                        % (lineno, kind, printable(words)))
        return None
    return Event(ns, idx, lineno, node, kind)


def parse_config(pairs, lineno, warnings, config):
    """Take session_timeout_ms from a CONFIG line's KEY=VALUE PAIRS."""
    if not pairs:
        warnings.append("line %d: CONFIG without settings" % lineno)
    for p in pairs:
        key, eq, val = p.partition("=")
        if key != "session_timeout_ms" or not eq:
            warnings.append("line %d: unknown CONFIG setting %s" % (lineno, p))
        elif parse_int(val) is None or int(val) == 0:
            warnings.append("line %d: bad session_timeout_ms %s"
                            % (lineno, val))
        elif "session_timeout_ms" in config and \
                config["session_timeout_ms"] != int(val):
            warnings.append("line %d: a second session_timeout_ms (%s) is "
                            "ignored" % (lineno, val))
        else:
            config["session_timeout_ms"] = int(val)


def read_log(path):
    """Parse PATH: (events sorted by time, warnings, config)."""
    warnings, config, events = [], {}, []
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            words = line.split()
            if not words:
                continue
            ev = parse_line(words, len(events), lineno, warnings, config)
            if ev is not None:
                events.append(ev)
    events.sort(key=lambda e: (e.ns, e.idx))
    return events, warnings, config


def parse_wd_line(words, idx, lineno, warnings):
    """Parse one watchdog stand-in line into an Event, or None."""
    ns = parse_int(words[0])
    if ns is None or len(words) < 3 or words[1] == "-" or \
            words[2] not in WD_EVENTS or len(words) > 4:
        warnings.append("watchdog log line %d: malformed: %s"
                        % (lineno, printable(words)))
        return None
    ev = Event(ns, idx, lineno, words[1], "WD")
    ev.wd = words[2]
    return ev


def read_wd_log(path, first_idx, warnings):
    """Parse the watchdog log PATH: its events (indices from FIRST_IDX)."""
    events = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            words = line.split()
            if not words:
                continue
            ev = parse_wd_line(words, first_idx + len(events), lineno,
                               warnings)
            if ev is not None:
                events.append(ev)
    return events


def cut_at_end(events, warnings):
    """Keep the events up to the first END: (events, end ns)."""
    ends = [i for i, e in enumerate(events) if e.kind == "END"]
    if not ends:
        end_ns = events[-1].ns if events else 0
        if events:
            warnings.append("no END line: the run is taken to end at the last "
                            "line, %d" % end_ns)
        return events, end_ns
    if len(ends) > 1:
        warnings.append("%d END lines: the first one counts" % len(ends))
    i = ends[0]
    rest = [e for e in events[i + 1:] if e.kind != "END"]
    if rest:
        warnings.append("%d line(s) after END are not checked (first: line %d)"
                        % (len(rest), min(e.lineno for e in rest)))
    return events[:i], events[i].ns


def report(ck, timeout_ms, out):
    """Print the summary and violations; return the JSON figures."""
    gap_ms = ((ck.gap[1] - ck.gap[0] - ck.paused_part(*ck.gap)) / MS
              if ck.gap else 0.0)
    hows = {}
    for pz in ck.pauses:
        hows[pz["how"]] = hows.get(pz["how"], 0) + 1
    fig = {
        "session_timeout_ms": timeout_ms,
        "promotes": ck.promotes,
        "nodes": sorted(ck.nodes),
        "faults": dict(sorted(ck.faults.items())),
        "heals": ck.heal_reports,
        "longest_leaderless_gap_ms": gap_ms,
        "longest_leaderless_gap": ({"from_ns": ck.gap[0], "to_ns": ck.gap[1]}
                                   if ck.gap and gap_ms > 0 else None),
        "leaderless_at_end_ms": ((ck.trailing_gap[1] - ck.trailing_gap[0])
                                 / MS if ck.trailing_gap else 0.0),
        "forced_handovers": ck.forced,
        "pauses": {
            "count": len(ck.pauses),
            "ended": dict(sorted(hows.items())),
            "paused_ms": sum(pz["end"] - pz["start"] for pz in ck.pauses) / MS,
            "longest_leaderless_while_paused_ms": ck.paused_gap / MS,
            "hooks_started": dict(sorted(ck.paused_hooks.items())),
            "promotes_run_again_at_end": ck.repromotes,
            "startup_demotes_run_at_end": ck.held_demotes,
            "windows": [{"from_ns": pz["start"], "to_ns": pz["end"],
                         "how": pz["how"]} for pz in ck.pauses],
        },
        "frozen_exceptions": ck.frozen_used,
        "watchdog": ({
            "resets": len(ck.resets),
            "resets_ending_a_lead": sum(r["ended_lead"] for r in ck.resets),
            "reset_list": ck.resets,
            "events": ck.wd_counts,
            "lines_ignored": ck.ignored,
        } if ck.watchdog else None),
        "promotes_unrecorded": ck.unrecorded,
        "warnings": ck.warnings,
        "violations": ck.violations,
    }
    p = lambda s="": print(s, file=out)  # noqa: E731
    p("session timeout: %d ms" % timeout_ms)
    p("promotes: %d" % ck.promotes)
    p("nodes: %d (%s)" % (len(ck.nodes), " ".join(sorted(ck.nodes)) or "-"))
    p("faults: %d (%s)" % (sum(ck.faults.values()), ", ".join(
        "%s %d" % kv for kv in sorted(ck.faults.items())) or "none"))
    p("longest leaderless gap: %.1f ms%s" % (gap_ms, (
        " (from %s to %s%s)" % (ck.ts(ck.gap[0]), ck.ts(ck.gap[1]),
                                 ", less %.1f ms paused"
                                 % (ck.paused_part(*ck.gap) / MS)
                                 if ck.paused_part(*ck.gap) else ""))
        if ck.gap and gap_ms > 0 else ""))
    if ck.pauses:
        p("pauses: %d (%s), %.1f ms paused in all, longest leaderless "
          "while paused: %.1f ms" % (
              len(ck.pauses), ", ".join("%s %d" % kv
                                        for kv in sorted(hows.items())),
              fig["pauses"]["paused_ms"], ck.paused_gap / MS))
        p("hooks started while paused: %s" % (", ".join(
            "%s %d" % kv for kv in sorted(ck.paused_hooks.items()))
            or "none"))
    if ck.repromotes:
        p("promotes run again at a pause's end: %d" % ck.repromotes)
    if ck.held_demotes:
        p("start-up demotes run at a pause's end: %d" % ck.held_demotes)
    if ck.forced:
        p("forced handovers (leader's znode deleted by hand): %d" % ck.forced)
    p("frozen-leader exceptions used: %d" % ck.frozen_used)
    if ck.watchdog:
        c = ck.wd_counts
        p("watchdog resets: %d (%d ended a lead)" % (
            len(ck.resets), sum(r["ended_lead"] for r in ck.resets)))
        p("watchdog events: %d opens, %d kicks, %d magic closes, %d armed "
          "closes" % (c["open"], c["kick"], c["magic-close"],
                      c["close-armed"]))
        p("lines of reset hosts ignored (before the harness's KILL): %d"
          % ck.ignored)
    if ck.unrecorded:
        p("promotes stopped before their hook recorded itself: %d"
          % ck.unrecorded)
    if ck.trailing_gap:
        p("leaderless at END for %.1f ms (since %s)" % (
            fig["leaderless_at_end_ms"], ck.ts(ck.trailing_gap[0])))
    for r in ck.heal_reports:
        p("HEAL at %s: %s" % (ck.ts(r["ns"]), {
            "ok": "leader %.1f ms after%s" % (
                r["leader_after_ms"] or 0, "" if r["pause_end_ns"] is None
                else " the pause's end at %s" % ck.ts(r["pause_end_ns"])),
            "not judged": "not judged (%s)" % r.get("note"),
            "violation": "no leader in time"}[r["status"]]))
    if ck.vip_spans or ck.vip_sightings:
        fig["vip"] = {"stretches": len(ck.vip_spans),
                      "hosts": len({sp[2] for sp in ck.vip_spans}),
                      "single_sightings": ck.vip_sightings}
        p("floating address: %d stretches on %d hosts, %d single sightings"
          % (len(ck.vip_spans), fig["vip"]["hosts"], ck.vip_sightings))
    for w in ck.warnings:
        p("warning: %s" % w)
    for v in ck.violations:
        p("VIOLATION (%s): %s" % (v["rule"], v["message"]))
    n = len(ck.violations)
    fig["verdict"] = "OK" if n == 0 else "%d violations" % n
    p("verdict: %s" % fig["verdict"])
    return fig


def usage():
    """Print the usage line; exit 2."""
    print("usage: check_invariants.py LOGFILE [--watchdog WDLOG] "
          "[--json FILE]", file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    """(log path, watchdog log or None, JSON path or None) from argv."""
    log, opts = None, {"--json": None, "--watchdog": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in opts and i + 1 < len(argv) and opts[a] is None:
            opts[a] = argv[i + 1]
            i += 2
        elif a.startswith("-") or log is not None:
            usage()
        else:
            log = a
            i += 1
    if log is None:
        usage()
    return log, opts["--watchdog"], opts["--json"]


def main(argv):
    """Check the log named on the command line."""
    path, wd, js = parse_args(argv)
    try:
        events, warnings, config = read_log(path)
        wd_events = [] if wd is None else \
            read_wd_log(wd, len(events), warnings)
    except OSError as e:
        print("check_invariants.py: %s: %s" % (e.filename, e.strerror),
              file=sys.stderr)
        return 2
    timeout_ms = config.get("session_timeout_ms", DEFAULT_TIMEOUT_MS)
    events, end_ns = cut_at_end(events, warnings)
    t0 = events[0].ns if events else end_ns
    events = sorted(events + [e for e in wd_events if e.ns <= end_ns],
                    key=lambda e: (e.ns, e.idx))
    ck = Checker(events, warnings, timeout_ms, end_ns, t0, wd is not None)
    ck.run()
    fig = report(ck, timeout_ms, sys.stdout)
    if js is not None:
        try:
            with open(js, "w", encoding="utf-8") as f:
                json.dump(fig, f, indent=2)
                f.write("\n")
        except OSError as e:
            print("check_invariants.py: %s: %s" % (js, e.strerror),
                  file=sys.stderr)
            return 2
    return 0 if not ck.violations else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
