#!/bin/bash
# 110-cluster - three popauthd nodes share one private PostgreSQL
# (cluster_database).  What each node's Postfix sees (postmap -q on its own
# hash: maps) and what the database holds (psql): a grant made on A is in B's
# and C's maps within 1 s; a listing made from a log line on B and a ban
# made by popauthctl on C likewise (firewall_backend = none: the ban is what
# popauthctl show says); revoke, unban and delist travel too; a grant's
# expiry is the latest any node gave (a login does not cut it); a client
# whitelisted on a node, or holding a grant, is not listed there because of
# another node; popauthctl status shows the link and show says which node
# decided what; the shipped etc/popauthd.sql makes the same tables as
# popauthd does.
. "$(dirname "$0")/lib.sh"
pf_dir
. "$(dirname "$0")/pglib.sh"
MAXMS=${PA_CLUSTER_MAX_MS:-1000}
SMTPD='vm postfix/smtpd[1574]: NOQUEUE: reject:'
rbl() { # IP - a Postfix DNSBL reject line, which lists the client
	echo "$(date '+%b %e %H:%M:%S') $SMTPD RCPT from unknown[$1]: 554 5.7.1 Service unavailable; Client host [$1] blocked using zen.spamhaus.org; r-$1; from=<a@b.example> to=<c@example.org> proto=ESMTP helo=<x>"
}
# within_1s NODE CHECK... - CHECK holds on NODE within MAXMS
within() {
	local what=$1
	shift
	wait_for -t 5 "$@" || return 1
	note "$what after ${WAITED_MS} ms"
	[ "$WAITED_MS" -le "$MAXMS" ] || fail "$what took ${WAITED_MS} ms (limit $MAXMS)"
}

pg_up
printf '198.51.100.200/32\n2001:db8:77:1::5/128\n' >"$T/wl.C"
node_conf A
node_conf B
node_conf C whitelist_file="$T/wl.C"
for n in A B C; do node_start $n; done
for n in A B C; do
	wait_for -t 10 eval '[ "$(node_stat '$n' cluster.connected)" = yes ]' ||
		fail "node $n not connected: $(node_ctl $n status | grep cluster)"
done
[ "$(sql "SELECT count(*) FROM pg_tables WHERE tablename = 'popauthd_changes'")" = 1 ] ||
	fail "popauthd_changes was not created"

note "a grant on A: in B's and C's maps within ${MAXMS} ms"
node_feed A "$(login_line alice 192.0.2.10)"
wait_for node_has A 192.0.2.10 || fail "A did not grant 192.0.2.10 locally"
within "grant on B" node_has B 192.0.2.10 || fail "grant from A not in B's map: $(node_dump B)"
within "grant on C" node_has C 192.0.2.10 || fail "grant from A not in C's map: $(node_dump C)"
[ "$(sql "SELECT node || ' ' || kind FROM popauthd_changes WHERE ip = '192.0.2.10'")" = "A grant" ] ||
	fail "database rows for 192.0.2.10: $(sql "SELECT * FROM popauthd_changes WHERE ip = '192.0.2.10'")"
sql "SELECT expires > now() + interval '29 minutes' FROM popauthd_changes WHERE ip = '192.0.2.10'" | grep -qx t ||
	fail "the grant's expiry in the database is not popauth_expire (30m) ahead"
node_ctl B show 192.0.2.10 | grep -q "cluster: grant by node A" ||
	fail "popauthctl show on B does not say A granted: $(node_ctl B show 192.0.2.10)"
node_ctl B explain 192.0.2.10 | grep -q "grant by cluster node A at" ||
	fail "popauthctl explain on B does not say A granted: $(node_ctl B explain 192.0.2.10)"

node_feed A "$(login_line alice6 2001:DB8::10)"
within "IPv6 grant on C" node_has C 2001:db8::10 || fail "IPv6 grant from A not in C's map: $(node_dump C)"

note "the latest expiry wins: a 2 h grant from B is not cut to 30 m by a login on A"
expires_on() { # NODE IP - the grant's expiry (epoch) as popauthctl --json show says
	node_ctl "$1" --json show "$2" 2>/dev/null | grep -o '"expires": *[0-9]*' | head -1 | grep -o '[0-9]*$'
}
long_on() { local e; e=$(expires_on "$1" 192.0.2.91); [ -n "$e" ] && [ "$e" -gt $(($(date +%s) + 5400)) ]; }
node_ctl B grant 192.0.2.91 2h >/dev/null || fail "popauthctl grant on B failed"
within "2 h grant on A" long_on A || fail "B's 2 h grant not on A: $(node_ctl A show 192.0.2.91 2>&1)"
node_feed A "$(login_line dave 192.0.2.91)"
wait_for node_log_has A "dave has refreshed authentication" || fail "A did not take dave's login"
long_on A || fail "a login on A cut B's 2 h grant: expires $(expires_on A 192.0.2.91), now $(date +%s)"
sleep 0.3 # A's refresh (2 h) reaches the others; they must keep 2 h too
long_on C || fail "C's grant was cut: expires $(expires_on C 192.0.2.91)"

note "a listing from a log line on B: in A's and C's rbl_checks"
node_feed B "$(rbl 198.51.100.7)"
wait_for node_listed B 198.51.100.7 || fail "B did not list 198.51.100.7"
within "listing on A" node_listed A 198.51.100.7 || fail "listing from B not in A's rbl_checks"
within "listing on C" node_listed C 198.51.100.7 || fail "listing from B not in C's rbl_checks"
node_q A 198.51.100.7 rbl_checks | grep -q "B" || fail "A's entry does not name node B: $(node_q A 198.51.100.7 rbl_checks)"

note "a ban by popauthctl on C: A and B show it banned"
node_ctl C ban 203.0.113.5 2h "spam run" >/dev/null || fail "popauthctl ban on C failed"
banned_on() { node_ctl "$1" show 203.0.113.5 2>/dev/null | grep -qE '^ +banned +yes'; }
within "ban on A" banned_on A || fail "ban from C not on A: $(node_ctl A show 203.0.113.5 2>&1)"
within "ban on B" banned_on B || fail "ban from C not on B: $(node_ctl B show 203.0.113.5 2>&1)"
wait_for node_listed A 203.0.113.5 || fail "the banned address is not in A's rbl_checks"
node_ctl A show 203.0.113.5 | grep -q "cluster: ban by node C" ||
	fail "show on A does not say C banned: $(node_ctl A show 203.0.113.5)"
node_log_has A "203.0.113.5 [unknown] has been banned (not null-routed: firewall_backend = none) by cluster node C" ||
	fail "A's log lacks the cluster ban line: $(grep 203.0.113.5 "$T/A/popauthd.log")"

note "unban on C, delist on B, revoke on A travel too"
node_ctl C unban 203.0.113.5 >/dev/null || fail "unban on C failed"
unbanned_on() { node_ctl "$1" show 203.0.113.5 2>/dev/null | grep -qE '^ +banned +no'; }
within "unban on A" unbanned_on A || fail "unban from C not on A: $(node_ctl A show 203.0.113.5 2>&1)"
node_ctl B delist 198.51.100.7 >/dev/null || fail "delist on B failed"
within "delist on A" node_lacks A 198.51.100.7 rbl_checks || fail "delist from B not on A"
within "delist on C" node_lacks C 198.51.100.7 rbl_checks || fail "delist from B not on C"
node_ctl A revoke 192.0.2.10 >/dev/null || fail "revoke on A failed"
within "revoke on B" node_lacks B 192.0.2.10 || fail "revoke from A not on B"
within "revoke on C" node_lacks C 192.0.2.10 || fail "revoke from A not on C"

note "a client whitelisted on C is not listed there because of A"
node_ctl A ban 198.51.100.200 1h "from A" >/dev/null || fail "popauthctl ban on A failed"
within "ban on B" node_listed B 198.51.100.200 || fail "ban from A not on B"
wait_for node_log_has C "198.51.100.200: ban from cluster node A ignored: client whitelisted" ||
	fail "C's log does not say why it ignored the ban: $(grep 198.51.100.200 "$T/C/popauthd.log")"
node_lacks C 198.51.100.200 rbl_checks || fail "C listed a client it whitelists"

note "an IPv6 /64 listed as one offender: listed on A, not on C (it whitelists an address in it)"
sql "SELECT popauthd_publish('Z', '{1}', '{listing}', '{2001:db8:77:1::/64}', '{3600}', '{0}', '{\"8 addresses\"}')" >/dev/null ||
	fail "cannot publish a /64"
within "/64 on A" node_listed A 2001:db8:77:1 || fail "the /64 listing is not in A's rbl_checks"
wait_for node_log_has C "2001:db8:77:1::/64: listing from cluster node Z ignored: client holds a whitelisted or granted address" ||
	fail "C's log does not say why it ignored the /64: $(grep 2001:db8:77 "$T/C/popauthd.log")"
node_lacks C 2001:db8:77:1 rbl_checks || fail "C listed a /64 holding an address it whitelists"

note "a client granted (on C) is never banned because of another node"
node_feed C "$(login_line carol 192.0.2.77)"
wait_for node_has C 192.0.2.77 || fail "C did not grant 192.0.2.77"
within "C's grant on B" node_has B 192.0.2.77 || fail "grant from C not on B"
node_ctl A ban 192.0.2.77 1h "from A" >/dev/null || fail "popauthctl ban on A failed"
for n in B C; do
	wait_for node_log_has $n "192.0.2.77: ban from cluster node A ignored: client holds a POP-before-SMTP grant" ||
		fail "$n's log does not say why it ignored the ban: $(grep 192.0.2.77 "$T/$n/popauthd.log")"
	node_lacks $n 192.0.2.77 rbl_checks || fail "$n listed a client that holds a grant"
	node_has $n 192.0.2.77 || fail "$n lost the grant of 192.0.2.77"
done
node_ctl C show 192.0.2.77 | grep -q "ban by node A at .*(ignored here" ||
	fail "show on C does not say the ban was ignored: $(node_ctl C show 192.0.2.77)"

note "status shows the link"
st=$(node_ctl B status)
echo "$st" | grep -qE '^cluster\.connected +yes' || fail "status: $st"
echo "$st" | grep -qE '^cluster\.outbox +0$' || fail "status outbox: $st"
echo "$st" | grep -qE '^cluster\.lag_ms +[0-9]+' || fail "status lag: $st"
echo "$st" | grep -qE '^cluster\.applied +[1-9]' || fail "status applied: $st"

note "etc/popauthd.sql makes the same schema as popauthd"
sql "CREATE DATABASE shipped" >/dev/null
psql -X -q -h "$PGS" -p "$PGPORT" -U postgres -d shipped -v ON_ERROR_STOP=1 \
	-f "$REPO/etc/popauthd.sql" >"$T/shipped.out" 2>&1 || fail "etc/popauthd.sql: $(cat "$T/shipped.out")"
# function bodies are kept as written: compare with white space folded
dump() { "$PGBIN/pg_dump" -s -h "$PGS" -p "$PGPORT" -U postgres "$1" | grep -v -e '^--' -e '^.restrict' -e '^.unrestrict' | tr -s '[:space:]' ' ' | sed 's/; /;\n/g'; }
dump "$PGDB" >"$T/schema.live"
dump shipped >"$T/schema.shipped"
diff -u "$T/schema.live" "$T/schema.shipped" >"$T/schema.diff" ||
	fail "etc/popauthd.sql differs from what popauthd creates: $(head -30 "$T/schema.diff")"

for n in A B C; do node_alive $n || fail "node $n died"; done
for n in A B C; do node_stop $n; done
exit 0
