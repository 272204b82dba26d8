#!/bin/bash
# 014-burst.sh - a burst of 100k lines written into the FIFO as fast as a
# writer can: every line the FIFO delivered is read (the status line's
# counter) and every one of 50k distinct logins is granted in the map.
. "$(dirname "$0")/lib.sh"

pf_dir
pa_conf popauth_expire=1d alert_smtp_server=
pa_start
awk -v stamp="$(date '+%b %e %H:%M:%S')" -v lip="$LIP" 'BEGIN {
	for (i = 0; i < 50000; i++) {
		printf "%s vm dovecot: pop3-login: Login: user=<u%d>, method=PLAIN, rip=10.%d.%d.%d, lip=%s, mpid=1, session=<x>\n", stamp, i, int(i / 62500), int(i / 250) % 250, i % 250 + 1, lip
		printf "%s vm postfix/smtpd[9]: connect from unknown[10.0.0.%d]\n", stamp, i % 250 + 1
	}
}' >"$T/burst"
start=$(now_ms)
pa_feed_raw "$T/burst"
wrote=$(( $(now_ms) - start ))
# lines_read - the counter from a fresh SIGUSR1 status line
lines_read() {
	kill -USR1 "$PA_PID"
	sleep 0.05
	grep -o 'status: .*lines=[0-9]*' "$LOG" | tail -1 | sed 's/.*lines=//'
}
wait_for -t 30 sh -c "[ \"\$(postmap -c '$PFDIR' -s 'hash:$MAPDIR/popauth_checks' | wc -l)\" -eq 50000 ]" ||
	fail "not all 50000 grants in the map: $(map_count)"
n=$(lines_read)
[ "$n" -eq 100000 ] || fail "daemon read $n lines, 100000 were written"
note "100000 lines written in $wrote ms; all read, 50000 grants in the map"
pa_stop
exit 0
