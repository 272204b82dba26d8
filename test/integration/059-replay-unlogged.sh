#!/bin/bash
# 059-replay-unlogged - a --replay writes the tables it creates without
# Berkeley DB's log, behind data_directory/replay.unfinished.  The marker is
# gone once the replay ends, and the daemon then runs on those tables and
# keeps a change through kill -9 (recovery redoes it on pages the replay
# wrote unlogged).  A replay killed half-way leaves the marker, and the
# daemon, another replay and popauthctl refuse the directory, saying why.
# A replay into tables that were there keeps their log: killed half-way it
# leaves no marker and the daemon starts.
. "$(dirname "$0")/lib.sh"

pf_dir
pa_conf popauth_expire=10d
CTL=${POPAUTHCTL:-$REPO/popauthd/popauthctl}
[ -x "$CTL" ] || fail "$CTL is missing; run make"
MARK=$DATADIR/replay.unfinished
need db5.3_dump

# records TABLE - how many records data_directory/TABLE.db holds, read by
# Berkeley DB's own db_dump (a key line and a value line each)
records() {
	echo $(($(db5.3_dump -h "$DATADIR" "$DATADIR/$1.db" 2>/dev/null |
		sed -n '/^HEADER=END$/,/^DATA=END$/p' | grep -c '^ ') / 2))
}

# replay_fifo - start a --replay reading $T/in.fifo (fd 3 holds it open)
# with one login in it; REPLAY_PID
replay_fifo() {
	rm -f "$T/in.fifo"
	mkfifo "$T/in.fifo"
	"$POPAUTHD" -c "$CONF" --replay "$T/in.fifo" >"$T/fifo.out" 2>&1 </dev/null &
	REPLAY_PID=$!
	PA_PIDS+=("$REPLAY_PID")
	exec 3>"$T/in.fifo"
	login_line dave 192.0.2.12 >&3
}

note "a replay into an empty data_directory: no marker once it ended"
{
	login_line alice 192.0.2.10
	login_line bob 2001:db8::10
} >"$T/a.log"
pa_run 30 -c "$CONF" --replay "$T/a.log"
[ "$PA_RC" -eq 0 ] || fail "--replay exit $PA_RC: $(tail -n 5 "$T/run.err")"
[ ! -e "$MARK" ] || fail "$MARK is left after a replay that ended"
map_has 192.0.2.10 && map_has 2001:db8::10 || fail "replay did not grant: $(map_dump)"
[ "$(records grants)" -eq 2 ] ||
	fail "db_dump reads $(records grants) grants in the replay's grants.db, not 2"

note "the daemon runs on the replay's tables; its grant survives kill -9"
pa_start
map_has 192.0.2.10 || fail "the replay's grant is gone at the daemon's start"
pa_feed "$(login_line carol 192.0.2.11)"
wait_for map_has 192.0.2.11 || fail "192.0.2.11 not granted"
pa_kill9
pa_start
map_has 192.0.2.11 || fail "a grant added to the replay's tables was lost through kill -9: $(map_dump)"
map_has 2001:db8::10 || fail "the replay's grant was lost through kill -9: $(map_dump)"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
[ "$(records grants)" -eq 3 ] || fail "db_dump reads $(records grants) grants, not 3"

note "a replay killed half-way leaves the marker"
rm -rf "$DATADIR" "$MAPDIR"
mkdir -p "$DATADIR" "$MAPDIR"
replay_fifo
wait_for -t 10 test -e "$MARK" || fail "no $MARK while a replay fills new tables"
kill -KILL "$REPLAY_PID"
wait "$REPLAY_PID" 2>/dev/null
exec 3>&-
[ -e "$MARK" ] || fail "the marker went with a killed replay"

note "nothing opens that directory, and each says why"
pa_run 10 -f -c "$CONF"
[ "$PA_RC" -ne 0 ] && [ "$PA_RC" -ne 124 ] || fail "the daemon started on an unfinished replay (exit $PA_RC)"
grep -qF "replay.unfinished: a --replay into this directory did not finish" "$T/run.err" ||
	fail "the daemon does not say why: $(tail -n 3 "$T/run.err")"
pa_run 10 -c "$CONF" --replay "$T/a.log"
[ "$PA_RC" -ne 0 ] || fail "a second replay used an unfinished replay's tables"
grep -qF "did not finish" "$T/run.err" || fail "--replay does not say why: $(tail -n 3 "$T/run.err")"
"$CTL" -c "$CONF" list relay >"$T/ctl.out" 2>&1 && fail "popauthctl read an unfinished replay's tables"
grep -qF "did not finish" "$T/ctl.out" || fail "popauthctl does not say why: $(cat "$T/ctl.out")"
[ -e "$MARK" ] || fail "a refusing open removed the marker"

note "a replay into tables that were there keeps their log: no marker"
rm -rf "$DATADIR" "$MAPDIR"
mkdir -p "$DATADIR" "$MAPDIR"
pa_run 30 -c "$CONF" --replay "$T/a.log"
[ "$PA_RC" -eq 0 ] || fail "--replay exit $PA_RC: $(tail -n 5 "$T/run.err")"
replay_fifo
kill -KILL "$REPLAY_PID"
wait "$REPLAY_PID" 2>/dev/null
exec 3>&-
[ ! -e "$MARK" ] || fail "a replay into existing tables made $MARK"
pa_start
map_has 192.0.2.10 || fail "the first replay's grant is gone: $(map_dump)"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
exit 0
