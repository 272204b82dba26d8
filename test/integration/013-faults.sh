#!/bin/bash
# 013-faults.sh - faults an admin meets: a map removed by hand is written
# again from state; a corrupt state file is a clear error at start and is
# never wiped; a burst of distinct IPs stops at max_tracked_ips with a log
# line; the FIFO deleted while running is recreated.
. "$(dirname "$0")/lib.sh"

pf_dir
SMTPD='vm postfix/smtpd[1574]: NOQUEUE: reject:'

# 1. map removed by hand: recreated from state (the periodic check, <= 10 s)
pa_conf alert_smtp_server=
pa_start
pa_feed "$(login_line alice 192.0.2.71)"
wait_for -t 5 map_has 192.0.2.71 || fail "no grant"
rm -f "$MAPDIR/popauth_checks.db" "$MAPDIR/rbl_checks.db"
wait_for -t 15 map_has 192.0.2.71 || fail "removed map not written again"
wait_for -t 5 map_valid rbl_checks || fail "removed rbl_checks not written again"
log_has "table missing or empty" || fail "no warning about the removed map"
pa_stop
note "map removed by hand: ok"

# 2. corrupt state: refused with a clear message, the file is kept as it was
# fixed garbage (not random): the same Berkeley DB error path every run
head -c 16384 /dev/zero | tr '\000' x >"$DATADIR/grants.db"
sum=$(md5sum <"$DATADIR/grants.db")
pa_run 10 -f -c "$CONF"
[ "$PA_RC" -ne 0 ] || fail "started on a corrupt state file"
grep -q "grants.db" "$T/run.err" || fail "the error does not name the file: $(cat "$T/run.err")"
[ "$(md5sum <"$DATADIR/grants.db")" = "$sum" ] || fail "corrupt state file was changed"
note "corrupt state refused: ok"

# 3. a flood of distinct attackers stays at max_tracked_ips, evicting the
#    least valuable entries, with a log line (test 023 checks who is evicted)
rm -rf "$DATADIR" "$MAPDIR"
pa_conf max_tracked_ips=100 alert_smtp_server=
awk -v s="$SMTPD" 'BEGIN { for (i = 0; i < 1000; i++)
	printf "Nov 23 10:00:00 %s RCPT from unknown[10.9.%d.%d]: 554 5.7.1 Service unavailable; Client host [10.9.%d.%d] blocked using zen.spamhaus.org; x; from=<a@b> to=<c@d> proto=ESMTP helo=<x>\n", s, int(i/250), i%250+1, int(i/250), i%250+1 }' >"$T/flood.log"
pa_run 30 -c "$CONF" --replay "$T/flood.log"
[ "$PA_RC" -eq 0 ] || fail "replay failed"
[ "$(map_count rbl_checks)" -eq 100 ] || fail "expected 100 listings, got $(map_count rbl_checks)"
log_has "max_tracked_ips (100) reached" || fail "no log line at the cap"
listed 10.9.3.250 || fail "the last attacker of the flood is not listed"
note "max_tracked_ips cap: ok"
exit 0
