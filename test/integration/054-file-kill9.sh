#!/bin/bash
# 054-file-kill9 - input = file: popauthd killed -9 at 25 random points while
# a writer appends 2400 logins (IPv4 and IPv6, each address once) to the mail
# log, which is rotated by rename (logrotate's default) and later by
# copytruncate in the middle of it; every login is granted exactly once: in
# the map (postmap -s), at most one grant line each, no "refreshed" line.
. "$(dirname "$0")/lib.sh"

pf_dir
LD=$T/log
ML=$LD/mail.log
mkdir -p "$LD"
: >"$ML"
pa_conf input=file input_path="$ML" popauth_expire=1h map_flush_delay_ms=0
pa_start
IPS=$T/ips
: >"$IPS"

# writer - 40 batches of 60 logins appended, random pauses; a rename
# rotation after batch 13, a copytruncate after batch 27
writer() {
	local b i ip stamp batch
	for ((b = 1; b <= 40; b++)); do
		stamp=$(date '+%b %e %H:%M:%S')
		batch=
		for ((i = 1; i <= 60; i++)); do
			if ((i % 2)); then ip=10.54.$b.$i; else ip=2001:db8:54::$b:$i; fi
			echo "$ip" >>"$IPS"
			batch+="$stamp vm dovecot: pop3-login: Login: user=<u${b}x$i>, method=PLAIN, rip=$ip, lip=$LIP, mpid=21631, session=<gOKkYutgQep/AAAC>"$'\n'
		done
		printf '%s' "$batch" >>"$ML"
		case $b in
		13) mv "$ML" "$ML.1" && : >"$ML" ;;
		27) cp "$ML" "$ML.1" && : >"$ML" ;;
		esac
		sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
	done
}
writer &
WPID=$!

note "25 kill -9 at random points while the writer appends and rotates"
kill9_rounds 25 400
wait "$WPID" || fail "the writer failed"
N=$(wc -l <"$IPS")
[ "$N" -eq 2400 ] || fail "the writer wrote $N logins, want 2400"
wait_for -t 30 eval '[ "$(map_count)" -ge $N ]' ||
	fail "$(map_count) of $N logins in the map after the kills"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
grep -q "rotated" "$LOG" || fail "the rename rotation was not seen"
grep -q "truncated (copytruncate)" "$LOG" || fail "the copytruncate was not seen"
granted_once_each "$IPS" 300
exit 0
