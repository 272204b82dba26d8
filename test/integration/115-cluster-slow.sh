#!/bin/bash
# 115-cluster-slow - the database stops answering (its processes frozen
# with SIGSTOP, a connection open and a query in flight), and another node
# points at a socket that accepts and never says a word: the log input
# never waits for either.  Each node keeps granting (its own map within
# 500 ms) and popauthctl keeps answering; once the database thaws, what
# waited reaches the other node.
. "$(dirname "$0")/lib.sh"
pf_dir
. "$(dirname "$0")/pglib.sh"
MAXMS=${PA_LATENCY_MAX_MS:-500}

connected() { [ "$(node_stat "$1" cluster.connected)" = yes ]; }
# pg_pids - the postmaster and its children (by PID, all ours)
pg_pids() {
	local pm p
	pm=$(pg_pid) || return
	echo "$pm"
	for p in /proc/[0-9]*; do
		[ "$(awk '{ print $4 }' "$p/stat" 2>/dev/null)" = "$pm" ] && echo "${p#/proc/}"
	done
}
frozen=
thaw() {
	# shellcheck disable=SC2086
	[ -z "$frozen" ] || kill -CONT $frozen 2>/dev/null
	frozen=
}
trap 'thaw; _pg_cleanup' EXIT

pg_up
# a "database" that accepts connections and never answers
mkdir -p "$T/mute"
python3 - "$T/mute/.s.PGSQL.5432" <<'PY' >"$T/mute.out" 2>&1 &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(16)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
PY
MUTE=$!
PA_PIDS+=("$MUTE")
wait_for test -S "$T/mute/.s.PGSQL.5432" || fail "the mute server did not start"

node_conf A
node_conf B
node_conf C "cluster_database=host=$T/mute port=5432 dbname=x user=postgres"
node_start A
node_start B
node_start C
wait_for -t 10 connected A || fail "A not connected"
wait_for -t 10 connected B || fail "B not connected"

note "the database frozen with a connection open"
frozen=$(pg_pids | tr '\n' ' ')
# shellcheck disable=SC2086
kill -STOP $frozen
for i in 50 51 52 53 54; do
	node_feed A "$(login_line u$i 192.0.2.$i)"
	wait_for node_has A 192.0.2.$i || fail "A did not grant 192.0.2.$i with the database frozen"
	[ "$WAITED_MS" -le "$MAXMS" ] || fail "A's grant took ${WAITED_MS} ms with the database frozen"
done
note "A granted 5 addresses, the last in ${WAITED_MS} ms"
out=$(timeout 3 "$REPO/popauthd/popauthctl" -c "$T/A/popauthd.conf" status) ||
	fail "popauthctl status on A did not answer within 3 s"
echo "$out" | grep -qE '^cluster\.outbox +[1-9]' || fail "A's outbox: $(echo "$out" | grep cluster)"

note "a node whose database never answers"
node_feed C "$(login_line carol 192.0.2.60)"
wait_for node_has C 192.0.2.60 || fail "C did not grant"
[ "$WAITED_MS" -le "$MAXMS" ] || fail "C's grant took ${WAITED_MS} ms"
[ "$(node_stat C cluster.connected)" = no ] || fail "C says it is connected to a mute server"

note "the database thaws: A's grants reach B"
thaw
for i in 50 51 52 53 54; do
	wait_for -t 40 node_has B 192.0.2.$i || fail "192.0.2.$i never reached B: $(node_dump B)"
done
for n in A B C; do node_alive $n || fail "node $n died"; done
for n in A B C; do node_stop $n; done
exit 0
