#!/bin/bash
# 009-crash.sh - kill -9 at random points of a stream of grants and listings,
# many times.  Invariants after every kill and restart: both maps are valid
# tables Postfix can open (never torn, never missing), and every grant or
# listing that the log reports as done is in the map, right after the kill
# (before a restart rewrites the maps from state): a line is logged only
# once Postfix can see what it says.  MAPTYPE=lmdb (test 018) runs the same
# with map_type = lmdb: tables changed in place by transactions.
. "$(dirname "$0")/lib.sh"

pf_dir
ROUNDS=${CRASH_ROUNDS:-15}
pa_conf map_type="$MAPTYPE" popauth_expire=1d rbl_cache_expire=30d alert_smtp_server=
SMTPD='vm postfix/smtpd[1574]: NOQUEUE: reject:'

# the stream: logins and DNSBL rejects from distinct addresses
awk -v stamp="$(date '+%b %e %H:%M:%S')" -v lip="$LIP" -v smtpd="$SMTPD" 'BEGIN {
	for (i = 0; i < 30000; i++) {
		a = int(i / 250); b = i % 250 + 1
		printf "%s vm dovecot: pop3-login: Login: user=<u%d>, method=PLAIN, rip=10.1.%d.%d, lip=%s, mpid=1, session=<x>\n", stamp, i, a, b, lip
		printf "%s %s RCPT from unknown[10.2.%d.%d]: 554 5.7.1 Service unavailable; Client host [10.2.%d.%d] blocked using zen.spamhaus.org; r%d; from=<a@b> to=<c@d> proto=ESMTP helo=<x>\n", stamp, smtpd, a, b, a, b, i
	}
}' >"$T/stream"
split -n l/"$ROUNDS" -d "$T/stream" "$T/chunk."

# check_logged - every IP the log calls granted/listed is in its map.  Only
# whole lines count: a kill -9 can land inside the daemon's write(2) of a
# tick's log lines (the kernel stops a regular-file write at a fatal signal),
# so the last line of a killed daemon may be cut short ("...session from 10").
check_logged() {
	local missing=0
	# grep's $ also matches at the end of a file whose last line has no
	# newline: keep the whole lines only
	perl -ne 'print if /\n\z/' "$LOG" >"$T/whole.log"
	grep -aoE 'popauthd\[[0-9]+\]: u[0-9]+ has authenticated a new relay session from [0-9.]+$' "$T/whole.log" |
		awk '{print $NF}' | sort -u >"$T/granted"
	grep -aoE 'popauthd\[[0-9]+\]: [0-9.]+ \[unknown\] has been blacklisted by RBL \[zen\.spamhaus\.org\] for reason \[r[0-9]+\]$' "$T/whole.log" |
		awk '{print $2}' | sort -u >"$T/listed"
	postmap -c "$PFDIR" -s "$MAPTYPE:$MAPDIR/popauth_checks" | awk '{print $1}' | sort -u >"$T/m1"
	postmap -c "$PFDIR" -s "$MAPTYPE:$MAPDIR/rbl_checks" | awk '{print $1}' | sort -u >"$T/m2"
	missing=$(comm -23 "$T/granted" "$T/m1" | wc -l)
	[ "$missing" -eq 0 ] || fail "$1: $missing logged grants missing, e.g. $(comm -23 "$T/granted" "$T/m1" | head -3 | tr '\n' ' ')"
	missing=$(comm -23 "$T/listed" "$T/m2" | wc -l)
	[ "$missing" -eq 0 ] || fail "$1: $missing logged listings missing, e.g. $(comm -23 "$T/listed" "$T/m2" | head -3 | tr '\n' ' ')"
}

r=0
for chunk in "$T"/chunk.*; do
	r=$((r + 1))
	pa_start
	check_logged "round $r after restart"
	timeout 5 bash -c 'cat "$1" >"$2"' _ "$chunk" "$FIFO" &
	writer=$!
	sleep "0.0$((RANDOM % 90 + 5))"
	pa_kill9
	kill "$writer" 2>/dev/null
	wait "$writer" 2>/dev/null
	map_valid popauth_checks || fail "round $r: popauth_checks not a valid table after kill -9"
	map_valid rbl_checks || fail "round $r: rbl_checks not a valid table after kill -9"
	check_logged "round $r right after kill -9"
done
pa_start
check_logged "final restart"
n=$(wc -l <"$T/granted")
[ "$n" -gt 0 ] || fail "nothing was granted in $ROUNDS rounds"
note "$ROUNDS kills: $n grants and $(wc -l <"$T/listed") listings logged, all in the maps"
pa_stop
exit 0
