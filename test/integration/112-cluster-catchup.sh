#!/bin/bash
# 112-cluster-catchup - a node killed with -9 catches up at start from the
# last change id it applied (kept in its state): what A decided while B was
# dead is in B's maps once B is back, and only that is applied (B does not
# re-apply the whole log: popauthctl status cluster.applied counts it); a
# row another host wrote with bad fields is refused, not applied (and A,
# which read it while running, refuses it too).
. "$(dirname "$0")/lib.sh"
pf_dir
. "$(dirname "$0")/pglib.sh"

connected() { [ "$(node_stat "$1" cluster.connected)" = yes ]; }

pg_up
node_conf A
node_conf B
node_start A
node_start B
wait_for -t 10 connected A || fail "A not connected"
wait_for -t 10 connected B || fail "B not connected"

note "history B has applied"
for i in 1 2 3; do node_feed A "$(login_line u$i 192.0.2.$i)"; done
wait_for node_has B 192.0.2.3 || fail "B lacks A's grants"
wait_for eval '[ "$(node_stat B cluster.last_id)" = "$(sql "SELECT max(id) FROM popauthd_changes")" ]' ||
	fail "B's last_id $(node_stat B cluster.last_id) is not the database's max id"

note "B killed with -9; A goes on"
node_kill9 B
lines=()
for i in $(seq 30 49); do lines+=("$(login_line u$i 192.0.2.$i)"); done
node_feed A "${lines[@]}"
node_ctl A ban 203.0.113.40 1h "while B was dead" >/dev/null || fail "ban on A failed"
wait_for node_has A 192.0.2.49 || fail "A did not grant"
# rows nobody should trust: a whole network, a bad node name, an expiry
# 50 years ahead
sql "INSERT INTO popauthd_changes (node, node_seq, kind, ip, expires) VALUES ('evil', 1, 'grant', '192.0.2.0/24', now() + interval '1h')" ||
	fail "cannot insert a bad row"
sql "INSERT INTO popauthd_changes (node, node_seq, kind, ip, expires) VALUES ('ev''il;', 2, 'grant', '192.0.2.251', now() + interval '1h')" ||
	fail "cannot insert a bad row"
sql "INSERT INTO popauthd_changes (node, node_seq, kind, ip, expires) VALUES ('evil', 3, 'grant', '192.0.2.252', now() + interval '50 years')" ||
	fail "cannot insert a bad row"
wait_for eval '[ "$(sql "SELECT count(*) FROM popauthd_changes WHERE node = '"'A'"'")" -ge 25 ]' ||
	fail "A's changes are not all in the database"

note "B restarted: catches up"
node_start B
for i in $(seq 30 49); do
	wait_for -t 10 node_has B 192.0.2.$i || fail "B did not catch up 192.0.2.$i: $(node_dump B)"
done
note "caught up ${WAITED_MS} ms after the last check began"
wait_for node_listed B 203.0.113.40 || fail "B did not catch up A's ban"
node_lacks B 192.0.2.0 || fail "a grant of a whole network was applied"
node_lacks B 192.0.2.251 || fail "a row with a bad node name was applied"
node_lacks B 192.0.2.252 || fail "a grant for 50 years was applied"
wait_for eval '[ "$(node_stat B cluster.refused)" = 3 ]' || fail "refused: $(node_stat B cluster.refused)"
sql "NOTIFY popauthd, 'evil'" # A, running, hears of them now
wait_for eval '[ "$(node_stat A cluster.refused)" = 3 ]' || fail "A refused $(node_stat A cluster.refused) rows, want 3"
node_lacks A 192.0.2.251 || fail "A applied a row with a bad node name"
# 20 grants + the listing and ban of 203.0.113.40: nothing from before the kill
applied=$(node_stat B cluster.applied)
[ "$applied" -eq 22 ] || fail "B applied $applied changes at start, want 22 (the whole log again?)"
node_log_has B "change id" || fail "B's log does not name the refused rows"

node_alive A || fail "A died"
node_alive B || fail "B died"
node_stop A
node_stop B
exit 0
