#!/bin/bash
# 021-blacklist-live.sh - rbl_checks kept by a running daemon: new listings,
# a delist and the expiry reach Postfix (postmap -q) through delta flushes
# (a copy of the live table with the changed keys, renamed over it), a
# reload with a new blacklist_template rewrites every record, and a table
# past the inline limit never loses a record.
. "$(dirname "$0")/lib.sh"

pf_dir
need jq
CTL=${POPAUTHCTL:-$REPO/popauthd/popauthctl}
ctl() { "$CTL" -c "$CONF" "$@"; }
SMTPD='vm postfix/smtpd[1574]: NOQUEUE: reject:'
count_is() { [ "$(map_count rbl_checks)" -eq "$1" ]; } # evaluated per poll
rbl() { # IP - a Postfix 3.x DNSBL reject now
	echo "$(date '+%b %e %H:%M:%S') $SMTPD RCPT from unknown[$1]: 554 5.7.1 Service unavailable; Client host [$1] blocked using zen.spamhaus.org; r-$1; from=<a@b.example> to=<c@example.org> proto=ESMTP helo=<x>"
}

pa_conf rbl_cache_expire=4s 'blacklist_template=Listed by $list: $reason'
pa_start

note "new listings, one at a time and in a burst"
pa_feed "$(rbl 198.51.100.1)"
wait_for listed 198.51.100.1 "Listed by zen.spamhaus.org: r-198.51.100.1" ||
	fail "198.51.100.1 not listed: $(map_dump rbl_checks)"
ino=$(stat -c %i "$MAPDIR/rbl_checks.db")
lines=()
for i in $(seq 2 40); do lines+=("$(rbl 198.51.100.$i)"); done
pa_feed "${lines[@]}" "$(rbl 2001:db8::21)"
wait_for listed 2001:db8::21 || fail "2001:db8::21 not listed: $(map_dump rbl_checks)"
wait_for count_is 41 ||
	fail "want 41 records, have $(map_count rbl_checks)"
[ "$(stat -c %i "$MAPDIR/rbl_checks.db")" != "$ino" ] ||
	fail "the table was edited in place (same inode), not renamed over"
ls "$MAPDIR" | grep -q '\.tmp\.' && fail "temporary files left: $(ls "$MAPDIR")"

note "delist: gone from the table, the rest kept"
ctl delist 198.51.100.7 >/dev/null || fail "delist exit $?"
wait_for map_lacks 198.51.100.7 rbl_checks || fail "198.51.100.7 still listed"
[ "$(map_count rbl_checks)" -eq 40 ] || fail "want 40 records after delist"

note "reload with a new template: every record gets the new text"
sed -i 's/^blacklist_template = .*/blacklist_template = Go away ($list)/' "$CONF"
kill -HUP "$PA_PID"
wait_for listed 198.51.100.1 "Go away (zen.spamhaus.org)" ||
	fail "old text after reload: $(map_q 198.51.100.1 rbl_checks)"
for ip in 198.51.100.2 198.51.100.40 2001:db8::21; do
	listed "$ip" "Go away (zen.spamhaus.org)" ||
		fail "$ip kept the old template: $(map_q "$ip" rbl_checks)"
done
pa_feed "$(rbl 203.0.113.9)"
wait_for listed 203.0.113.9 "Go away (zen.spamhaus.org)" ||
	fail "new listing after reload: $(map_q 203.0.113.9 rbl_checks)"

note "expiry after rbl_cache_expire of quiet removes every record"
wait_for -t 15 count_is 0 ||
	fail "records left after expiry: $(map_dump rbl_checks)"
map_valid rbl_checks || fail "rbl_checks is not a valid table after expiry"
pa_stop
exit 0
