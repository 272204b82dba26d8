#!/bin/bash
# 113-cluster-clock - node B's clock is an hour ahead (the test hook
# POPAUTHD_TEST_CLOCK_OFFSET=3600): A and B still agree on when a grant
# ends, because expiries travel as durations and the database's now() sets
# the absolute times.  Both ways: A's grant is in B's map within 1 s and
# leaves it after popauth_expire (6 s), not at once and not an hour later;
# B's grant likewise on A; the database's row says 6 s, not an hour.
. "$(dirname "$0")/lib.sh"
pf_dir
. "$(dirname "$0")/pglib.sh"
MAXMS=${PA_CLUSTER_MAX_MS:-1000}

connected() { [ "$(node_stat "$1" cluster.connected)" = yes ]; }

pg_up
node_conf A popauth_expire=6s
node_conf B popauth_expire=6s
node_start A
node_start B POPAUTHD_TEST_CLOCK_OFFSET=3600
wait_for -t 10 connected A || fail "A not connected"
wait_for -t 10 connected B || fail "B not connected"

lasts() { # NODE IP - the grant is in NODE's map now, and leaves it in 3..10 s
	local t0 held
	t0=$(now_ms)
	wait_for -t 15 node_lacks "$1" "$2" || fail "$2 still in $1's map 15 s after a 6 s grant"
	held=$(($(now_ms) - t0))
	note "$2 held on $1 for ${held} ms"
	[ "$held" -ge 3000 ] || fail "$2 left $1's map after ${held} ms, before its 6 s"
}

note "B's clock is an hour ahead"
node_feed B "$(login_line bob 192.0.2.61)"
wait_for node_has B 192.0.2.61 || fail "B did not grant"
node_ctl B list relay | grep -q 192.0.2.61 || fail "B's list relay lacks its grant"
exp_b=$(node_ctl B --json show 192.0.2.61 2>/dev/null | grep -o '"expires": *[0-9]*' | grep -o '[0-9]*$')
now=$(date +%s)
[ -n "$exp_b" ] && [ "$exp_b" -gt $((now + 3000)) ] ||
	fail "B's clock is not an hour ahead (expires $exp_b, now $now): the test hook did not work"

note "B's grant: on A within ${MAXMS} ms, for 6 s"
wait_for -t 5 node_has A 192.0.2.61 || fail "B's grant not on A: $(node_dump A)"
note "on A after ${WAITED_MS} ms"
[ "$WAITED_MS" -le "$MAXMS" ] || fail "took ${WAITED_MS} ms"
sql "SELECT expires > now() AND expires < now() + interval '10 seconds' FROM popauthd_changes WHERE ip = '192.0.2.61'" | grep -qx t ||
	fail "the database's expiry for B's grant: $(sql "SELECT expires - now() FROM popauthd_changes WHERE ip = '192.0.2.61'")"
lasts A 192.0.2.61

note "A's grant: on B within ${MAXMS} ms, for 6 s"
node_feed A "$(login_line alice 192.0.2.62)"
wait_for -t 5 node_has B 192.0.2.62 || fail "A's grant not on B (an hour in B's past?): $(node_dump B)"
note "on B after ${WAITED_MS} ms"
[ "$WAITED_MS" -le "$MAXMS" ] || fail "took ${WAITED_MS} ms"
lasts B 192.0.2.62

node_alive A || fail "A died"
node_alive B || fail "B died"
node_stop A
node_stop B
exit 0
