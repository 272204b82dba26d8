#!/bin/bash
# 053-fifo-kill9 - input = fifo (no systemd): popauthd killed -9 at 25 random
# points while a writer streams 2400 logins (IPv4 and IPv6, each address
# once) into the FIFO; every login is granted exactly once: in the map
# (postmap -s) and one grant line in the log, no "refreshed" line.
#
# The writer behaves like rsyslog's ompipe with an action queue: it opens the
# FIFO O_RDWR once and keeps it (so the pipe and what is in it outlive the
# daemon), and its writes wait while the pipe is full.  What the daemon had
# read but not yet committed when it died is in data_directory/fifo.spool
# (spool.c); without the spool such a chunk is lost.  Long lines of another
# program push the spool past its 1 MiB bound, so new generations are
# started (and killed around) too.
. "$(dirname "$0")/lib.sh"

pf_dir
pa_conf popauth_expire=1h map_flush_delay_ms=0
pa_start
IPS=$T/ips
: >"$IPS"
PAD=$(head -c 4000 /dev/zero | tr '\0' p)

# writer - 40 batches of 60 logins and 12 lines of 4 KB, random pauses
writer() {
	local b i ip stamp batch
	exec 4<>"$FIFO"
	for ((b = 1; b <= 40; b++)); do
		stamp=$(date '+%b %e %H:%M:%S')
		batch=
		for ((i = 1; i <= 60; i++)); do
			if ((i % 2)); then ip=10.53.$b.$i; else ip=2001:db8:53::$b:$i; fi
			echo "$ip" >>"$IPS"
			batch+="$stamp vm dovecot: pop3-login: Login: user=<u${b}x$i>, method=PLAIN, rip=$ip, lip=$LIP, mpid=21631, session=<gOKkYutgQep/AAAC>"$'\n'
			((i % 5)) || batch+="$stamp vm postfix/smtpd[77]: $PAD"$'\n'
		done
		printf '%s' "$batch" >&4
		sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
	done
}
writer &
WPID=$!

note "25 kill -9 at random points while the writer streams"
kill9_rounds 25 400
wait_for -t 60 eval '! kill -0 $WPID 2>/dev/null' || fail "the writer is still blocked"
wait "$WPID" || fail "the writer failed"
N=$(wc -l <"$IPS")
[ "$N" -eq 2400 ] || fail "the writer wrote $N logins, want 2400"
wait_for -t 30 eval '[ "$(map_count)" -ge $N ]' ||
	fail "$(map_count) of $N logins in the map after the kills"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
granted_once_each "$IPS" 300

note "the spool stays bounded: new generations replaced it"
gen=$(head -c 41 "$DATADIR/fifo.spool" | sed -n 's/^popauthd fifo spool 0*\([0-9][0-9]*\)$/\1/p')
[ -n "$gen" ] && [ "$gen" -ge 2 ] || fail "spool generation '$gen': no new one was started"
size=$(stat -c %s "$DATADIR/fifo.spool")
[ "$size" -le $((1024 * 1024 + 256 * 1024)) ] || fail "the spool grew to $size bytes"
exit 0
