#!/bin/bash
# 034-ctl-slowloris.sh - clients that trickle a request a byte at a time can
# neither lock the admin out of the control socket nor hold a slot past the
# request deadline (CTL_TIMEOUT, 10 s from accept, ctl.h).
#
# Phase 1: 20 clients (more than the 16 slots) each send one byte every 2 s
# and never a newline, and reconnect at once when closed, as a local flood
# would; popauthctl status must still answer within 3 s, long before any
# deadline could free a slot, so only evicting the oldest unfinished request
# explains it; the status counts the evictions.
# Phase 2: one client keeps trickling; the daemon must close it at the
# deadline although every 2 s brings a new byte.
. "$(dirname "$0")/lib.sh"

need python3
CTL=${POPAUTHCTL:-$REPO/popauthd/popauthctl}
[ -x "$CTL" ] || fail "$CTL is missing; run make"
pa_conf
pa_start
ctl() { "$CTL" -c "$CONF" "$@"; }

# trickle.py SOCK N MODE OUT - flood: keep N connections trickling, "ready"
# in OUT once all are connected; one: a single connection, "closed MS BYTES"
# in OUT when the daemon closes it ("open MS BYTES" after 25 s)
cat >"$T/trickle.py" <<'EOF'
import os, select, socket, sys, time

path, n, mode, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
BYTE_EVERY = 2.0

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    give_up = time.monotonic() + 2
    while True:
        try:
            s.connect(path)
            break
        except BlockingIOError:
            # the listen backlog is full: the daemon has not accepted yet
            if time.monotonic() > give_up:
                raise
            time.sleep(0.01)
    s.send(b"s")
    return {"s": s, "t0": time.monotonic(), "next": time.monotonic() + BYTE_EVERY, "bytes": 1}

def closed(c):
    """True when the daemon has closed c (EOF, reset, broken pipe)"""
    try:
        r, _, _ = select.select([c["s"]], [], [], 0)
        if r and c["s"].recv(4096) == b"":
            return True
        if time.monotonic() >= c["next"]:
            c["s"].send(b"t")
            c["bytes"] += 1
            c["next"] += BYTE_EVERY
    except OSError:
        return True
    return False

def say(text):
    with open(out + ".tmp", "w") as f:
        f.write(text + "\n")
    os.rename(out + ".tmp", out)

conns = [conn() for _ in range(n)]
start = time.monotonic()
if mode == "flood":
    say("ready")
    while time.monotonic() - start < 60:
        for i, c in enumerate(conns):
            if closed(c):
                c["s"].close()
                time.sleep(0.05)
                try:
                    conns[i] = conn()
                except OSError:
                    conns[i] = {"s": socket.socket(), "t0": 0, "next": 0, "bytes": 0}
        time.sleep(0.02)
else:
    c = conns[0]
    while time.monotonic() - start < 25:
        if closed(c):
            say("closed %d %d" % ((time.monotonic() - c["t0"]) * 1000, c["bytes"]))
            sys.exit(0)
        time.sleep(0.02)
    say("open %d %d" % ((time.monotonic() - c["t0"]) * 1000, c["bytes"]))
EOF

# status_ok - popauthctl status answers (saved in $T/st)
status_ok() {
	ctl status >"$T/st" 2>"$T/st.err"
}

status_ok || fail "status before the flood: $(cat "$T/st.err")"

note "phase 1: 20 trickling clients against 16 slots"
python3 "$T/trickle.py" "$T/control.sock" 20 flood "$T/flood.out" \
	>"$T/flood.log" 2>&1 &
FLOOD=$!
wait_for -t 10 test -s "$T/flood.out" || fail "flood clients not connected: $(cat "$T/flood.log")"
wait_for -t 3 status_ok ||
	fail "status did not answer within 3 s of a trickle flood: $(cat "$T/st.err")"
note "status answered after ${WAITED_MS} ms"
grep -q '^control.evicted  *[1-9]' "$T/st" ||
	fail "status does not count evicted clients: $(grep control "$T/st")"
kill "$FLOOD" 2>/dev/null
wait "$FLOOD" 2>/dev/null
log_has "control slots busy" || fail "eviction not logged"

note "phase 2: one client trickling past the request deadline"
python3 "$T/trickle.py" "$T/control.sock" 1 one "$T/one.out" >"$T/one.log" 2>&1 &
ONE=$!
wait_for -t 30 grep -qs '^closed' "$T/one.out" ||
	fail "a trickling client is still open: $(cat "$T/one.out" "$T/one.log" 2>/dev/null)"
wait "$ONE" 2>/dev/null
read -r _ ms bytes <"$T/one.out"
note "trickler closed after $ms ms, having sent $bytes bytes"
[ "$bytes" -ge 4 ] || fail "the client stopped sending early ($bytes bytes)"
[ "$ms" -ge 8000 ] && [ "$ms" -le 12500 ] ||
	fail "trickler closed after $ms ms, want the 10 s request deadline"
wait_for -t 5 bash -c "\"\$0\" -c \"\$1\" status 2>/dev/null | grep -q '^control.timeouts  *[1-9]'" "$CTL" "$CONF" ||
	fail "status does not count request timeouts"
status_ok || fail "status after the flood: $(cat "$T/st.err")"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "popauthd exited $PA_RC"
exit 0
