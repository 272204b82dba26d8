#!/bin/bash
# 005-restart - state survives kill -9: the map keeps answering OK while the
# daemon is down, a restart (with the stale pid file left behind) keeps the
# grant, and the grant still expires on time; a grant that expired while the
# daemon was down is removed at start.
. "$(dirname "$0")/lib.sh"

pf_dir
EXP=4
pa_conf popauth_expire=${EXP}s

note "grant, then kill -9"
pa_start
pa_feed "$(login_line alice 192.0.2.10)"
wait_for map_has 192.0.2.10 || fail "192.0.2.10 not granted"
t0=$(now_ms)
pa_kill9
[ -e "$PIDFILE" ] || note "(pid file gone after kill -9)"

note "down: Postfix still sees the grant"
map_valid || fail "map not valid after kill -9"
map_has 192.0.2.10 || fail "grant lost while the daemon is down: $(map_dump)"

note "restart"
pa_start
map_has 192.0.2.10 || fail "grant lost at restart: $(map_dump)"
ls "$MAPDIR" | grep -qE '\.tmp\.|^__db\.' && fail "leftover temp files in $MAPDIR: $(ls -A "$MAPDIR")"
up=$(($(now_ms) - t0))
[ "$up" -lt $((EXP * 1000 - 1500)) ] || skip "restart took ${up} ms; too slow to test expiry timing"
map_has 192.0.2.10 || fail "grant lost right after restart"

note "the grant still expires about ${EXP}s after the login"
wait_for -t 15 map_lacks 192.0.2.10 || fail "grant not removed 15 s after a ${EXP} s expiry: $(map_dump)"
held=$(($(now_ms) - t0))
note "removed ${held} ms after the login"
[ "$held" -ge $((EXP * 1000 - 1100)) ] || fail "grant removed after ${held} ms, before its ${EXP} s expiry"
[ "$held" -le $((EXP * 1000 + 4000)) ] || fail "grant removed only after ${held} ms (expiry ${EXP} s)"

note "a grant that expires while the daemon is down is removed at start"
pa_feed "$(login_line bob 192.0.2.11)"
wait_for map_has 192.0.2.11 || fail "192.0.2.11 not granted"
t1=$(now_ms)
pa_kill9
map_has 192.0.2.11 || fail "grant lost while down"
past_expiry() { [ $(($(now_ms) - t1)) -ge $((EXP * 1000 + 1200)) ]; }
wait_for -t 20 past_expiry
pa_start
wait_for -t 3 map_lacks 192.0.2.11 || fail "grant that expired while down still there after restart: $(map_dump)"
map_valid || fail "map not valid"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
exit 0
