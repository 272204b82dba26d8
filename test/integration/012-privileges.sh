#!/bin/bash
# 012-privileges.sh - run_as_user: the daemon switches to an unprivileged user
# after start-up, keeps only CAP_NET_ADMIN+CAP_NET_RAW with the iptables
# backend (none otherwise), and still grants, lists, reloads and bans.
# A restart over links that user planted in data_directory hands neither
# target over (issue 14), and the daemon runs with no_new_privs.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root to test a privilege drop"
id nobody >/dev/null 2>&1 || skip "no user nobody"
need unshare iptables-legacy setpriv
chmod 755 "$T"
pf_dir
uid=$(id -u nobody)

# status_field PID NAME - a line of /proc/PID/status
status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }

# 1. firewall none: uid nobody, no capabilities, grants still reach Postfix
pa_conf run_as_user=nobody
pa_start
wait_for -t 5 log_has "running as nobody" || fail "no 'running as nobody' line"
read -r ruid euid _ < <(status_field "$PA_PID" Uid)
[ "$ruid" = "$uid" ] && [ "$euid" = "$uid" ] || fail "uid is $ruid/$euid, not $uid"
[ "$(status_field "$PA_PID" CapEff)" = 0000000000000000 ] ||
	fail "capabilities left: $(status_field "$PA_PID" CapEff)"
[ "$(status_field "$PA_PID" CapBnd)" = 0000000000000000 ] ||
	fail "bounding set not cleared: $(status_field "$PA_PID" CapBnd)"
pa_feed "$(login_line alice 192.0.2.31)"
wait_for -t 5 map_has 192.0.2.31 || fail "no grant after the drop: $(tail -3 "$LOG")"
[ "$(stat -c %U "$MAPDIR/popauth_checks.db")" = nobody ] || fail "map not written by nobody"
[ "$(stat -c %a "$MAPDIR/popauth_checks.db")" = 644 ] || fail "map mode not 0644"
kill -HUP "$PA_PID"
wait_for -t 5 log_has "reloaded" || fail "reload as nobody failed: $(tail -3 "$LOG")"
pa_feed "$(login_line bob 192.0.2.32)"
wait_for -t 5 map_has 192.0.2.32 || fail "no grant after reload"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "exit status $PA_RC"
note "firewall none: ok"

# 1b. a restart over a data_directory that nobody (who owns it now) has
#     booby-trapped with links to root files: x (a symbolic link) and y (a
#     hard link) under names popauthd does not make, and sendmail.db (a
#     symbolic link) and greytrap.db (a hard link) under its own names, to
#     root-owned copies of those tables so that Berkeley DB still opens them.
#     Root would open the state (Berkeley DB recovery) and maps there before
#     the drop: start-up refuses (77), naming each link, and hands nothing
#     over.  With the links gone it starts, grants, and runs with
#     no_new_privs; a plain file of another name stays as it is.
gid=$(id -g nobody)
as_nobody() { setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"; }
for n in 1 2; do
	echo "root secret $n" >"$T/secret$n"
done
cp "$DATADIR/sendmail.db" "$T/secret3"
cp "$DATADIR/greytrap.db" "$T/secret4"
chown root:root "$T"/secret[1-4]
chmod 600 "$T"/secret[1-4]
rm -f "$DATADIR/sendmail.db" "$DATADIR/greytrap.db"
as_nobody ln -s "$T/secret1" "$DATADIR/x" || fail "nobody cannot plant a link"
as_nobody ln -s "$T/secret3" "$DATADIR/sendmail.db" ||
	fail "nobody cannot plant sendmail.db"
# fs.protected_hardlinks keeps nobody from linking a root file; a host
# without it would not, so root plants the hard links
ln "$T/secret2" "$DATADIR/y" || fail "cannot hard-link into $DATADIR"
ln "$T/secret4" "$DATADIR/greytrap.db" || fail "cannot hard-link greytrap.db"
LOG=$T/restart.log
pa_conf run_as_user=nobody log_file="$LOG"
pa_run 10 -f -c "$CONF"
[ "$PA_RC" -eq 77 ] || fail "restart over planted links: exit $PA_RC, want 77"
for n in 1 2 3 4; do
	[ "$(stat -c %U:%a "$T/secret$n")" = root:600 ] ||
		fail "restart handed secret$n to nobody: $(stat -c %U:%a "$T/secret$n")"
done
grep -qF "$DATADIR/x: is a symbolic link" "$T/run.err" || fail "x not named: $(cat "$T/run.err")"
grep -qF "$DATADIR/sendmail.db: is a symbolic link" "$T/run.err" ||
	fail "the sendmail.db link not named: $(cat "$T/run.err")"
grep -qF "$DATADIR/greytrap.db: has more than one hard link" "$T/run.err" ||
	fail "the greytrap.db hard link not named: $(cat "$T/run.err")"
grep -qF "$DATADIR/y: has more than one hard link" "$T/run.err" ||
	fail "y not named: $(cat "$T/run.err")"
rm -f "$DATADIR/x" "$DATADIR/y" "$DATADIR/sendmail.db" "$DATADIR/greytrap.db"
as_nobody sh -c "echo note >'$DATADIR/z'" || fail "nobody cannot write a file"
pa_start
wait_for -t 5 log_has "running as nobody" || fail "restart: no 'running as nobody' line"
log_has "$DATADIR/z: not a file popauthd makes" || fail "z not reported"
[ "$(stat -c %U "$DATADIR/z")" = nobody ] || fail "z changed owner"
[ "$(status_field "$PA_PID" NoNewPrivs)" = 1 ] ||
	fail "NoNewPrivs is $(status_field "$PA_PID" NoNewPrivs), not 1"
pa_feed "$(login_line carol 192.0.2.33)"
wait_for -t 5 map_has 192.0.2.33 || fail "no grant after the restart: $(tail -3 "$LOG")"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "restart: exit status $PA_RC"
rm -f "$DATADIR/z"
LOG=$T/popauthd.log
note "links planted in data_directory refused, nothing handed over, no_new_privs: ok"

# 2. unknown user: refused as a config error (file:line), exit 78
pa_conf run_as_user=no-such-user-popauthd
pa_run 10 -f -c "$CONF"
[ "$PA_RC" -eq 78 ] || fail "unknown run_as_user: exit $PA_RC, want 78"
grep -q "no such user" "$T/run.err" || fail "no clear message: $(cat "$T/run.err")"
note "unknown user refused: ok"

# 3. iptables in a private namespace: CAP_NET_ADMIN + CAP_NET_RAW only, and a
#    ban made after the drop reaches the kernel
rm -rf "$DATADIR" "$MAPDIR"
LOG=$T/ns.log
pa_conf run_as_user=nobody firewall_backend=iptables alert_smtp_server= log_file="$LOG"
cat >"$T/ns.sh" <<NS
ip link set lo up
"$POPAUTHD" -f -c "$CONF" >"$T/ns.out" 2>&1 &
pid=\$!
echo \$pid >"$T/ns.pid"
for i in \$(seq 100); do grep -q "running as nobody" "$LOG" 2>/dev/null && break; sleep 0.05; done
grep CapEff /proc/\$pid/status >"$T/ns.caps"
s="vm postfix/smtpd[1]: NOQUEUE: reject:"
{
echo "\$(date '+%b %e %H:%M:%S') \$s RCPT from unknown[198.51.100.44]: 554 5.7.1 Service unavailable; Client host [198.51.100.44] blocked using zen.spamhaus.org; x; from=<a@b> to=<c@d> proto=ESMTP helo=<x>"
# repeats: nullroute_min_hits (5) make a rate worth a ban
for n in 1 2 3 4; do
echo "\$(date '+%b %e %H:%M:%S') \$s CONNECT from unknown[198.51.100.44]: 554 5.7.1 <unknown[198.51.100.44]>: Client host rejected: Your IP address has been blacklisted by zen.spamhaus.org. Visit their website or write to argue. x; proto=SMTP"
done
} >"$FIFO"
for i in \$(seq 100); do iptables-legacy -S POPAUTH 2>/dev/null | grep -q 198.51.100.44 && break; sleep 0.05; done
iptables-legacy -S POPAUTH >"$T/ns.rules" 2>&1
kill -TERM \$pid; wait \$pid
NS
unshare -n bash "$T/ns.sh" || fail "namespace run failed: $(cat "$T/ns.out")"
grep -q "CapEff:.*0000000000003000" "$T/ns.caps" || fail "capabilities: $(cat "$T/ns.caps")"
grep -q -- "-A POPAUTH -s 198.51.100.44/32 -j DROP" "$T/ns.rules" ||
	fail "ban did not reach the kernel after the drop: $(cat "$T/ns.rules"; tail -5 "$LOG")"
note "iptables with two capabilities: ok"
exit 0
