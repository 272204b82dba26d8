#!/bin/bash
# 055-journal-kill9 - input = journal: popauthd killed -9 at 25 random points
# while a writer adds 1800 logins (IPv4 and IPv6, each address once) as new
# journal files (systemd-journal-remote from the export format, as in 050);
# every login is granted exactly once: in the map (postmap -s), at most one
# grant line each, no "refreshed" line.
. "$(dirname "$0")/lib.sh"

JR=/lib/systemd/systemd-journal-remote
[ -x "$JR" ] || skip "systemd-journal-remote is not installed"
pf_dir
JD=$T/journal
mkdir -p "$JD"
pa_conf input=journal journal_directory="$JD" popauth_expire=1h map_flush_delay_ms=0
pa_start
IPS=$T/ips
: >"$IPS"

# writer - 30 journal files of 60 logins each, random pauses
writer() {
	local b i ip us
	for ((b = 1; b <= 30; b++)); do
		us=$(date +%s%6N)
		for ((i = 1; i <= 60; i++)); do
			if ((i % 2)); then ip=10.55.$b.$i; else ip=2001:db8:55::$b:$i; fi
			echo "$ip" >>"$IPS"
			printf '__REALTIME_TIMESTAMP=%s\n' $((us + i))
			printf 'MESSAGE=pop3-login: Login: user=<u%sx%s>, method=PLAIN, rip=%s, lip=%s, mpid=21631, session=<gOKkYutgQep/AAAC>\n' \
				"$b" "$i" "$ip" "$LIP"
			printf 'SYSLOG_IDENTIFIER=dovecot\nSYSLOG_FACILITY=2\n_HOSTNAME=vm\n_PID=4242\n\n'
		done | "$JR" -o "$JD/k$b.journal" - >"$T/jr.out" 2>&1 || return 1
		sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
	done
}
writer &
WPID=$!

note "25 kill -9 at random points while journal files are added"
kill9_rounds 25 400
wait "$WPID" || fail "the writer failed: $(cat "$T/jr.out")"
N=$(wc -l <"$IPS")
[ "$N" -eq 1800 ] || fail "the writer wrote $N logins, want 1800"
wait_for -t 30 eval '[ "$(map_count)" -ge $N ]' ||
	fail "$(map_count) of $N logins in the map after the kills"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
granted_once_each "$IPS" 225
exit 0
