#!/bin/bash
# 114-cluster-pgsql-maps - the shipped maps/pgsql-*.cf, with only their
# hosts line pointed at a private PostgreSQL, as Postfix itself reads
# them (postmap -q KEY pgsql:FILE, package postfix-pgsql): a node's grant
# answers OK, a revoke or the expiry (in SQL) ends it; a ban and a listing
# answer 554, an unban leaves the listing, a delist ends it; a host name
# key finds nothing and is no error; a hostile reason cannot turn the
# answer into anything but a reject; rows are pruned once they no longer
# matter (cluster_retention).
. "$(dirname "$0")/lib.sh"
pf_dir
postconf -c "$PFDIR" -m 2>/dev/null | grep -qx pgsql || skip "postfix-pgsql is not installed"
. "$(dirname "$0")/pglib.sh"

pg_up
node_conf A popauth_expire=3s
node_start A
wait_for -t 10 eval '[ "$(node_stat A cluster.connected)" = yes ]' || fail "A not connected"

for m in popauth rbl; do
	sed -e "s|^hosts = .*|hosts = postgresql://postgres@/$PGDB?host=$PGS\&port=$PGPORT|" \
		"$REPO/maps/pgsql-$m.cf" >"$T/pgsql-$m.cf"
done
pq() { # KEY MAP - postmap's answer; "" when not found; fails on an error
	local out rc
	out=$(postmap -c "$PFDIR" -q "$1" "pgsql:$T/pgsql-$2.cf" 2>"$T/pq.err")
	rc=$?
	[ "$rc" -le 1 ] || fail "postmap -q $1 pgsql:$2 failed ($rc): $(cat "$T/pq.err")"
	[ ! -s "$T/pq.err" ] || fail "postmap -q $1 pgsql:$2 said: $(cat "$T/pq.err")"
	printf '%s' "$out"
}
pq_is() { [ "$(pq "$1" "$2")" = "$3" ]; }

note "a grant: OK, then gone by its expiry (3 s, in SQL)"
node_feed A "$(login_line alice 192.0.2.10)"
wait_for pq_is 192.0.2.10 popauth OK || fail "pgsql: no OK for the grant: [$(pq 192.0.2.10 popauth)]"
pq_is 192.0.2.11 popauth "" || fail "pgsql: an address never granted answers"
pq_is mail.example.org popauth "" || fail "pgsql: a host name key answers"
pq_is 2001:db8::1 popauth "" || fail "pgsql: an IPv6 key answers"
wait_for -t 10 pq_is 192.0.2.10 popauth "" || fail "pgsql: the grant outlived its expiry"
[ "$(sql "SELECT count(*) FROM popauthd_changes WHERE ip = '192.0.2.10'")" = 1 ] ||
	fail "the row is gone: the expiry must be SQL's, not a delete"

note "a revoke ends a grant"
node_ctl A grant 192.0.2.12 1h >/dev/null || fail "grant failed"
wait_for pq_is 192.0.2.12 popauth OK || fail "pgsql: no OK for the admin's grant"
node_ctl A revoke 192.0.2.12 >/dev/null || fail "revoke failed"
wait_for pq_is 192.0.2.12 popauth "" || fail "pgsql: the grant outlived its revoke"

note "ban, unban (still listed), delist"
node_ctl A ban 203.0.113.9 1h 'spam; OK DUNNO
x' >/dev/null || fail "ban failed"
wait_for eval '[[ "$(pq 203.0.113.9 rbl)" == "554 5.7.1 Your IP address has been blacklisted by A. "* ]]' ||
	fail "pgsql: ban answers [$(pq 203.0.113.9 rbl)]"
pq_is 203.0.113.10 rbl "" || fail "pgsql: an address never listed answers"
pq_is mail.example.org rbl "" || fail "pgsql: a host name key answers"
node_ctl A unban 203.0.113.9 >/dev/null || fail "unban failed"
sleep 0.5 # nothing to wait for: the answer must stay
[[ "$(pq 203.0.113.9 rbl)" == "554 "* ]] || fail "pgsql: unban removed the listing too"
node_ctl A delist 203.0.113.9 >/dev/null || fail "delist failed"
wait_for pq_is 203.0.113.9 rbl "" || fail "pgsql: the listing outlived its delist"

note "a /64 listed as one offender covers its addresses"
sql "SELECT popauthd_publish('Z', '{1}', '{listing}', '{2001:db8:5:6::/64}', '{3600}', '{0}', '{\"prefix\"}')" >/dev/null ||
	fail "cannot publish a /64"
[[ "$(pq 2001:db8:5:6::77 rbl)" == "554 "* ]] || fail "pgsql: a /64 does not cover its address"
pq_is 2001:db8:5:7::77 rbl "" || fail "pgsql: a /64 covers the next one"

note "pruning: an expired grant's row goes; a revoke an older live row needs stays"
sql "SELECT popauthd_publish('Z', '{2}', '{revoke}', '{192.0.2.99}', '{NULL}', '{60}', '{\"\"}')" >/dev/null ||
	fail "cannot publish an old revoke"
[ "$(sql "SELECT count(*) FROM popauthd_changes WHERE ip = '192.0.2.99'")" = 1 ] || fail "the old revoke was not stored"
node_stop A
node_conf A popauth_expire=3s cluster_retention=2s
node_start A
wait_for -t 15 eval '[ "$(sql "SELECT count(*) FROM popauthd_changes WHERE ip = '"'192.0.2.10'"'")" = 0 ]' ||
	fail "the expired grant's row was not pruned: $(sql "SELECT kind, expires FROM popauthd_changes WHERE ip = '192.0.2.10'")"
[ "$(sql "SELECT count(*) FROM popauthd_changes WHERE ip = '192.0.2.12' AND kind = 'revoke'")" = 1 ] ||
	fail "the revoke of a grant still in its time was pruned"
[ "$(sql "SELECT count(*) FROM popauthd_changes WHERE ip = '192.0.2.99'")" = 0 ] ||
	fail "a revoke older than cluster_retention that nothing needs was not pruned"
pq_is 192.0.2.12 popauth "" || fail "pgsql: a pruned revoke brought a grant back"
[[ "$(pq 2001:db8:5:6::77 rbl)" == "554 "* ]] || fail "pruning removed a live listing"
node_stop A
exit 0
