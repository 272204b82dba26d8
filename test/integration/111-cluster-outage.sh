#!/bin/bash
# 111-cluster-outage - PostgreSQL stopped under two running nodes: each
# keeps granting (and banning) locally, Postfix sees it at once; what each
# decided waits in its outbox (popauthctl status, the metrics file), survives a kill -9 of
# the node, and reaches the other node once PostgreSQL is back; the
# database holds each change once (no duplicate from the re-send); a revoke
# older than another node's login does not end that node's grant.
. "$(dirname "$0")/lib.sh"
pf_dir
. "$(dirname "$0")/pglib.sh"

connected() { [ "$(node_stat "$1" cluster.connected)" = "${2:-yes}" ]; }
outbox_atleast() { local n; n=$(node_stat "$1" cluster.outbox); [ -n "$n" ] && [ "$n" -ge "$2" ]; }

pg_up
node_conf A metrics_file="$T/A.prom" metrics_interval=1s
node_conf B
node_start A
node_start B
wait_for -t 10 connected A || fail "A not connected"
wait_for -t 10 connected B || fail "B not connected"

note "a grant before the outage travels as usual"
node_feed A "$(login_line alice 192.0.2.20)"
wait_for node_has B 192.0.2.20 || fail "B lacks A's grant before the outage"

node_feed A "$(login_line erin 192.0.2.30)"
wait_for node_has B 192.0.2.30 || fail "B lacks A's grant of 192.0.2.30"

note "PostgreSQL stopped"
pg_down
wait_for -t 10 connected A no || fail "A still says connected"
# a revoke on A, then (a second later: times are seconds) a new login on B
node_ctl A revoke 192.0.2.30 >/dev/null || fail "revoke on A failed"
sleep 1.1
node_feed B "$(login_line erin 192.0.2.30)"
wait_for node_log_has B "erin has refreshed authentication" || fail "B did not take erin's login"
node_feed A "$(login_line alice 192.0.2.21)"
node_feed B "$(login_line bob 192.0.2.22)"
node_ctl B ban 203.0.113.22 2h "during the outage" >/dev/null || fail "ban on B failed"
wait_for node_has A 192.0.2.21 || fail "A stopped granting with the database down: $(node_dump A)"
wait_for node_has B 192.0.2.22 || fail "B stopped granting with the database down: $(node_dump B)"
wait_for node_listed B 203.0.113.22 || fail "B stopped listing with the database down"
wait_for outbox_atleast A 1 || fail "A's outbox: $(node_stat A cluster.outbox)"
wait_for outbox_atleast B 2 || fail "B's outbox: $(node_stat B cluster.outbox)"
node_lacks B 192.0.2.21 || fail "B has A's grant without a database?"
node_log_has A "keeps working locally" || fail "A's log does not say it works locally"
prom_outage() {
	grep -qxF "popauthd_cluster_connected 0" "$T/A.prom" &&
		grep -qE '^popauthd_cluster_outbox [1-9]' "$T/A.prom" &&
		grep -qE '^popauthd_cluster_published_total [1-9]' "$T/A.prom"
}
wait_for prom_outage || fail "metrics during the outage: $(grep '^popauthd_cluster' "$T/A.prom")"

note "A killed with -9 while its change waits; restarted, still down"
node_kill9 A
st=$(node_ctl A status 2>/dev/null)
echo "$st" | grep -qE '^cluster\.outbox +[1-9]' ||
	fail "popauthctl status with A down does not show the stored outbox: $st"
node_start A
wait_for outbox_atleast A 1 || fail "A's outbox lost by kill -9: $(node_stat A cluster.outbox)"
node_has A 192.0.2.21 || fail "A lost its own grant by kill -9"

note "PostgreSQL back: each node's changes reach the other"
pg_up
wait_for -t 40 node_has B 192.0.2.21 || fail "A's outage grant never reached B: $(node_dump B)"
note "A's outage grant on B ${WAITED_MS} ms after the database was back"
wait_for -t 10 node_has A 192.0.2.22 || fail "B's outage grant never reached A: $(node_dump A)"
wait_for -t 10 node_listed A 203.0.113.22 || fail "B's outage ban never reached A"
node_ctl A show 203.0.113.22 | grep -qE '^ +banned +yes' || fail "A does not show B's ban: $(node_ctl A show 203.0.113.22)"
wait_for -t 10 eval '[ "$(node_stat A cluster.outbox)" = 0 ] && [ "$(node_stat B cluster.outbox)" = 0 ]' ||
	fail "outboxes not empty: A $(node_stat A cluster.outbox), B $(node_stat B cluster.outbox)"
note "the revoke made before B's login does not end B's grant; A takes B's grant"
wait_for -t 10 node_has A 192.0.2.30 || fail "A did not take B's newer grant of 192.0.2.30"
node_has B 192.0.2.30 || fail "A's older revoke ended B's newer grant"
node_log_has B "Relay authorization for 192.0.2.30 has been revoked" && fail "B revoked a grant with a login after the revoke"
[ "$(sql "SELECT count(*) FROM popauthd_changes WHERE ip = '192.0.2.21'")" = 1 ] ||
	fail "192.0.2.21 stored $(sql "SELECT count(*) FROM popauthd_changes WHERE ip = '192.0.2.21'") times"
[ "$(sql "SELECT node FROM popauthd_changes WHERE ip = '203.0.113.22' AND kind = 'ban'")" = B ] ||
	fail "the ban's row: $(sql "SELECT * FROM popauthd_changes WHERE ip = '203.0.113.22'")"

note "the link works as before"
node_feed B "$(login_line bob 192.0.2.23)"
wait_for -t 5 node_has A 192.0.2.23 || fail "a grant after the outage did not travel"
node_alive A || fail "A died"
node_alive B || fail "B died"
node_stop A
node_stop B
exit 0
