#!/bin/bash
# 057-state-lock - one process at a time owns data_directory: a --replay
# beside the running daemon, or beside another replay, is refused with a
# clear message and changes nothing; a replay killed with -9 mid-stream
# leaves a state the next start recovers; the daemon's forked children
# (map writers) never keep the lock after it died.
. "$(dirname "$0")/lib.sh"

pf_dir
pa_conf

note "the daemon holds the state: a --replay beside it is refused"
pa_start
pa_feed "$(login_line alice 192.0.2.10)"
wait_for -t 5 map_has 192.0.2.10 || fail "192.0.2.10 not granted: $(map_dump)"
login_line bob 192.0.2.20 >"$T/b.log"
pa_run 10 -c "$CONF" --replay "$T/b.log" -o log_file=
[ "$PA_RC" -ne 0 ] || fail "a --replay beside the daemon exited 0"
grep -q "the state is in use by another popauthd" "$T/run.err" ||
	fail "no clear message for the second owner: $(cat "$T/run.err")"
pa_alive || fail "the daemon died when a replay tried its state"
pa_feed "$(login_line carol 2001:db8::30)"
wait_for -t 5 map_has 2001:db8::30 || fail "the daemon stopped granting"
map_lacks 192.0.2.20 || fail "the refused replay granted 192.0.2.20"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "daemon exit $PA_RC"

note "a replay reading a pipe holds the state: a second replay is refused"
# holds_lock - someone holds data/lock; read from /proc/locks, since a
# probe with flock(1) would itself take it and race a starting replay
holds_lock() {
	grep -q ":$(stat -c %i "$DATADIR/lock") " /proc/locks
}
holds_lock && fail "the lock outlived the stopped daemon"
mkfifo "$T/in.fifo"
sleep 60 >"$T/in.fifo" & # keeps the pipe open: the replay waits for more
HOLD=$!
"$POPAUTHD" -c "$CONF" --replay - <"$T/in.fifo" >"$T/r1.out" 2>&1 &
R1=$!
exec 9>"$T/in.fifo"
for i in $(seq 1 200); do
	login_line "u$i" "198.51.100.$i" "Nov 23 10:00:00"
done >&9
wait_for -t 5 test -s "$DATADIR/lock" -o -e "$DATADIR/lock" ||
	fail "no lock file in $DATADIR"
wait_for -t 5 holds_lock || fail "the replay does not hold $DATADIR/lock"
pa_run 10 -c "$CONF" --replay "$T/b.log" -o log_file=
[ "$PA_RC" -ne 0 ] || fail "a second replay ran beside the first"
grep -q "the state is in use by another popauthd" "$T/run.err" ||
	fail "second replay: no clear message: $(cat "$T/run.err")"

note "kill -9 of the replay mid-stream: the lock goes with it, the state recovers"
kill -KILL "$R1"
wait "$R1" 2>/dev/null
exec 9>&-
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
holds_lock && fail "the lock outlived the killed replay"
pa_run 30 -c "$CONF" --replay "$T/b.log"
[ "$PA_RC" -eq 0 ] || fail "replay after the kill: exit $PA_RC: $(tail -n 5 "$T/run.err")"
map_has 192.0.2.20 || fail "replay after the kill did not grant: $(map_dump)"
map_has 192.0.2.10 || fail "the daemon's grant is gone after the replays"

note "the daemon killed while its map writers run: a restart gets the lock"
pa_conf map_flush_delay_ms=0
pa_start
for i in $(seq 1 20); do
	pa_feed "$(login_line "k$i" "203.0.113.$i")"
done
pa_kill9
pa_start
pa_feed "$(login_line dave 192.0.2.40)"
wait_for -t 5 map_has 192.0.2.40 || fail "restarted daemon does not grant"
pa_stop
exit 0
