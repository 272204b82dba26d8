#!/bin/bash
# 023-ipv6-flood - a flood from one IPv6 /64 does not switch the blacklist
# off: after ipv6_prefix_listing of its addresses the /64 is listed as one
# offender (rbl_checks key "2001:db8:6:6", which smtpd reaches by cutting
# the compressed client address) and scored and null-routed as one; at
# max_tracked_ips the least valuable entry is evicted for a new offender
# instead of the new one being refused.  Everything is counted in status.
. "$(dirname "$0")/lib.sh"

pf_dir
CTL=${POPAUTHCTL:-$REPO/popauthd/popauthctl}
SMTPD='vm postfix/smtpd[1574]: NOQUEUE: reject:'

# reject IP - a DNSBL reject line for IP, now
reject() {
	printf '%s %s RCPT from unknown[%s]: 554 5.7.1 Service unavailable; Client host [%s] blocked using zen.spamhaus.org; x; from=<a@b> to=<c@d> proto=ESMTP helo=<x>\n' \
		"$(date '+%b %e %H:%M:%S')" "$SMTPD" "$1" "$1"
}

note "3000 addresses of one /64, cap 100"
pa_conf max_tracked_ips=100 ipv6_prefix_listing=8 alert_smtp_server=
pa_start
for i in $(seq 1 3000); do
	reject "$(printf '2001:db8:6:6:%x:%x::1' $((i / 65536)) $((i % 65536)))"
done >"$T/flood.log"
{
	reject 203.0.113.99
	reject 2001:db8:7:7::1
} >"$T/after.log"
pa_feed_raw "$T/flood.log"
pa_feed_raw "$T/after.log"
wait_for listed 203.0.113.99 || fail "an offender after the flood is not listed (fail-open): $(map_dump rbl_checks)"
wait_for listed 2001:db8:7:7::1 || fail "a v6 offender of another /64 is not listed"
listed 2001:db8:6:6 || fail "the /64 is not listed as one: $(map_dump rbl_checks)"
log_has "2001:db8:6:6::/64 has been blacklisted as one offender: 8 of its addresses" ||
	fail "no log line for the /64 listing: $(grep -m3 '/64' "$LOG")"
wait_for grep -qE '2001:db8:6:6::/64 \[prefix\] has been banned' "$LOG" ||
	fail "the /64 was not null-routed as one offender: $(grep -m3 'null-route' "$LOG")"
n=$(map_count rbl_checks)
[ "$n" -le 100 ] || fail "rbl_checks holds $n entries, over max_tracked_ips"
grep -q "not blacklisted" "$LOG" && fail "new offenders were refused: $(grep -m2 'not blacklisted' "$LOG")"
"$CTL" -c "$CONF" status >"$T/status" || fail "popauthctl status failed"
grep -qE 'blacklist.ipv6_prefixes[[:space:]]+1$' "$T/status" ||
	fail "status: $(grep blacklist "$T/status")"
"$CTL" -c "$CONF" show 2001:db8:6:6::/64 >"$T/show" 2>&1 ||
	fail "popauthctl show of the /64 failed: $(cat "$T/show")"
grep -q "2001:db8:6:6::/64" "$T/show" || fail "show does not name the /64: $(cat "$T/show")"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"

note "the /64 survives a restart (state) and is written to rbl_checks again"
rm -f "$MAPDIR/rbl_checks.db"
pa_start
wait_for listed 2001:db8:6:6 || fail "the /64 listing was lost by a restart"
pa_stop

note "1000 distinct IPv4 offenders, cap 100: the newest is listed, the oldest evicted"
rm -rf "$DATADIR" "$MAPDIR"
pa_conf max_tracked_ips=100 ipv6_prefix_listing=8 alert_smtp_server=
pa_start
for i in $(seq 0 999); do
	reject "10.9.$((i / 250)).$((i % 250 + 1))"
done >"$T/flood4.log"
pa_feed_raw "$T/flood4.log"
wait_for listed 10.9.3.250 || fail "the last offender is not listed"
n=$(map_count rbl_checks)
[ "$n" -eq 100 ] || fail "rbl_checks holds $n entries, want 100"
"$CTL" -c "$CONF" status >"$T/status" || fail "popauthctl status failed"
grep -qE 'blacklist.evicted[[:space:]]+900$' "$T/status" ||
	fail "status: $(grep blacklist "$T/status")"
log_has "has been evicted from the blacklist for a newer offender" || fail "no eviction line"
pa_stop
exit 0
