#!/bin/bash
# 015-login-formats - every POP/IMAP server's login lines of test/corpus
# (Dovecot 2.3/2.4/proxy, Courier, Cyrus classic and logfmt, qpopper, UW,
# vm-pop3d, popa3d, solid-pop3d, perdition, teapop, GNU pop3d, tpop3d) grant,
# through --replay and through the live FIFO, exactly the addresses that
# popauthd --test names ("login ip=", "=> grant ip="): IPv4 and IPv6, the
# two-line logins paired by PID, nothing from a failure, an aborted login or
# an attack twin (6.6.6.6 never).  Then a flood of half-logins from one /64
# and from many sources: bounded, counted, and a real login still grants.
. "$(dirname "$0")/lib.sh"

export TZ=UTC
pf_dir
CTL=${POPAUTHCTL:-$REPO/popauthd/popauthctl}
CORPORA="dovecot-2.3 dovecot-2.4 dovecot-proxy courier-5 cyrus-3 cyrus-3.13
	qpopper-4 uw-imap-2007 vm-pop3d popa3d solid-pop3d perdition teapop
	gnu-pop3d tpop3d"

# every corpus line at one recent stamp, so a replay keeps every grant
stamp=$(date '+%b %e %H:%M:%S')
for c in $CORPORA; do
	[ -f "$REPO/test/corpus/$c.log" ] || fail "test/corpus/$c.log is missing"
	sed -E "s/^([A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+([-+][0-9:]+|Z)) /$stamp /" \
		"$REPO/test/corpus/$c.log"
done >"$T/logins.log"

pa_conf
"$POPAUTHD" -c "$CONF" --test "$T/logins.log" >"$T/dryrun.out" ||
	fail "--test failed"
grep -oE '( login ip=|=> grant ip=)[^ ]+' "$T/dryrun.out" | sed 's/.*ip=//' |
	sort -u >"$T/want"
n=$(wc -l <"$T/want")
note "--test names $n granted addresses"
[ "$n" -ge 45 ] || fail "only $n grants in --test output: $(head -5 "$T/dryrun.out")"
grep -qx '6.6.6.6' "$T/want" && fail "--test grants the attacker's 6.6.6.6"
# one sentinel per new format (and family) that must be among them
for ip in 198.51.100.23 2001:db8:1::24 198.51.100.31 2001:db8:1::35 \
	192.0.2.7 2001:db8:1::9 198.51.100.67 74.125.46.35 2001:db8::9 \
	203.0.113.8 2001:db8::6 2001:db8::8 2001:db8::5 198.51.100.43 \
	2001:db8:1::51 203.0.113.7 198.51.100.53; do
	grep -qxF "$ip" "$T/want" || fail "--test does not grant $ip"
done

# have - the addresses popauth_checks holds, sorted
have() {
	postmap -c "$PFDIR" -s "hash:$MAPDIR/popauth_checks" | cut -f1 | sort -u
}

note "--replay grants exactly those"
cp "$T/logins.log" "$T/replay.log"
case_replay replay
have >"$T/have"
diff "$T/want" "$T/have" >"$T/diff" || fail "replay: map differs from --test: $(head -20 "$T/diff")"

note "the live FIFO grants exactly those"
rm -rf "$DATADIR" "$MAPDIR"
pa_conf
pa_start
pa_feed_raw "$T/logins.log"
all_granted() { [ "$(map_count)" -eq "$n" ]; }
wait_for -t 10 all_granted || fail "live: $(map_count) of $n granted"
have >"$T/have"
diff "$T/want" "$T/have" >"$T/diff" || fail "live: map differs from --test: $(head -20 "$T/diff")"
log_has "has authenticated a new relay session from 2001:db8:1::24" ||
	fail "live: log lacks the Dovecot 2.4 grant"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"

note "half-login flood: one /64 holds login_pair_per_source, the table login_pair_max"
rm -rf "$DATADIR" "$MAPDIR"
pa_conf login_pair_max=64 login_pair_per_source=4
pa_start
now=$(date '+%b %e %H:%M:%S')
{
	echo "$now mx popa3d[100]: Session from 203.0.113.200"
	for i in $(seq 1 3000); do
		printf '%s mx popa3d[%d]: Session from 2001:db8:6:6::%x\n' "$now" $((1000 + i)) "$i"
	done
	for i in $(seq 1 300); do
		printf '%s mx popa3d[%d]: Session from 10.66.%d.%d\n' "$now" $((5000 + i)) $((i / 250)) $((i % 250 + 1))
	done
	# a session that came after the table filled up is not kept
	echo "$now mx popa3d[9000]: Session from 203.0.113.201"
	echo "$now mx popa3d[9000]: Authentication passed for bob"
	echo "$now mx popa3d[100]: Authentication passed for alice"
} >"$T/flood.log"
pa_feed_raw "$T/flood.log"
wait_for map_has 203.0.113.200 || fail "the real login was lost in the flood: $(map_dump)"
"$CTL" -c "$CONF" status >"$T/status" || fail "popauthctl status failed"
grep -qE 'login_pair.pending[[:space:]]+63$' "$T/status" ||
	fail "want 63 pending half-logins: $(grep login_pair "$T/status")"
grep -qE 'login_pair.refused[[:space:]]+3238$' "$T/status" ||
	fail "want 3238 refused half-logins: $(grep login_pair "$T/status")"
map_lacks 203.0.113.201 || fail "a half-login past the cap was paired"
wait_for log_has "half-login not kept" || fail "no warning at the cap"
[ "$(grep -c 'half-login not kept' "$LOG")" -eq 1 ] ||
	fail "the cap warning is not rate-limited: $(grep -c 'half-login not kept' "$LOG") lines"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
exit 0
