#!/bin/sh
# 101-alert-namespace.sh - a null-route sends the admin one alert mail per ban.
#
# In a private network namespace (unshare -n) Postfix's smtp-sink listens on
# 127.0.0.1:2525 and dumps what it accepts; popauthd replays a log in which
# five clients (three IPv4, two IPv6) hammer the server after being listed,
# with nullroute_alert_thresh = 5, alert_max_children = 1 and
# alert_smtp_server pointing at the sink.  Every alert is sent before the
# replay ends (none waits for a sender slot and dies with the process), so
# the messages are counted as soon as popauthd has exited.  We check their
# Subject, From, To, the reason with its threshold and the perimeter-router
# lines.  The sink is stopped by its PID.
#
# Exit: 0 pass, 1 fail (what failed is printed), 77 skip (a SKIP: line says why).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
POPAUTHD=${POPAUTHD:-$top/popauthd/popauthd}
PY=/usr/bin/python3
SINK=/usr/sbin/smtp-sink

skip() { echo "SKIP: $(basename "$0"): $*"; exit 77; }
fails=0
fail() { echo "FAIL: $(basename "$0"): $*"; fails=$((fails + 1)); }

[ "$(id -u)" = 0 ] || skip "needs root for unshare -n"
for t in unshare ip iptables-legacy; do
	command -v $t >/dev/null 2>&1 || skip "$t not installed"
done
[ -x "$PY" ] || skip "$PY not installed"
[ -x "$SINK" ] || skip "$SINK not installed"
[ -x "$POPAUTHD" ] || skip "$POPAUTHD not built"
unshare -n true 2>/dev/null || skip "unshare -n not permitted here"
if ! "$POPAUTHD" --version >/dev/null 2>&1; then
	echo "FAIL: $(basename "$0"): $POPAUTHD --version does not work"
	exit 1
fi

tmp=$(mktemp -d /tmp/popauthd-101.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/data" "$tmp/maps" "$tmp/mail"
chmod 0711 "$tmp"; chmod 0777 "$tmp/mail"	# smtp-sink writes as nobody

"$PY" - "$tmp/maillog" <<'EOF'
import sys
out = open(sys.argv[1], "w")
def line(sec, text):
    out.write("Nov 23 06:%02d:%02d vm postfix/smtpd[4242]: %s\n" % (sec // 60, sec % 60, text))
IPS = ("192.0.2.7", "2001:db8::7", "192.0.2.8", "192.0.2.9", "2001:db8::9")
for ip in IPS:
    line(0, "NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 Service unavailable; "
         "Client host [%s] blocked using zen.rbl.test; from=<a@example.net> "
         "to=<b@rig.test> proto=ESMTP helo=<spam.example>" % (ip, ip))
for s in range(2, 62):
    for ip in IPS:
        line(s, "NOQUEUE: reject: CONNECT from unknown[%s]: 554 5.7.1 <unknown[%s]>: "
             "Client host rejected: Your IP address has been blacklisted by "
             "zen.rbl.test. Visit their website or write to argue.; proto=SMTP" % (ip, ip))
EOF

cat >"$tmp/popauthd.conf" <<EOF
data_directory = $tmp/data
map_directory = $tmp/maps
rules_directory = $top/etc/rules
fifo_path = $tmp/maillog.fifo
log_file = $tmp/popauthd.log
pid_file =
control_socket =
run_as_user =
firewall_backend = iptables
nullroute_freq_bansecs = 10m
nullroute_msg_bansecs = 10m
nullroute_alert_thresh = 5
alert_smtp_server = 127.0.0.1:2525
alert_timeout = 10s
alert_retries = 1
alert_max_children = 1
sysadmin_email_address = admin@rig.test
sysadmin_email_name = popauthd rig alert
localhost_dns_name = mx.rig.test
EOF

cat >"$tmp/inner.sh" <<EOF
ip link set lo up
"$SINK" -u nobody -d "$tmp/mail/%Y%m%d%H%M%S." 127.0.0.1:2525 16 &
sink=\$!
"$PY" - <<'PYEOF'
import socket, time
end = time.monotonic() + 10
while time.monotonic() < end:
    try:
        socket.create_connection(("127.0.0.1", 2525), 1).close(); break
    except OSError:
        time.sleep(0.05)
PYEOF
"$POPAUTHD" -f -c "$tmp/popauthd.conf" --replay "$tmp/maillog" \
    >"$tmp/daemon.out" 2>&1
echo \$? >"$tmp/daemon.rc"
iptables-legacy -w -S >"$tmp/v4.txt" 2>&1
# the replay has ended: every alert must be in the sink already
ls "$tmp/mail" >"$tmp/mail.at-exit"
kill \$sink
wait \$sink 2>/dev/null
EOF
unshare -n sh "$tmp/inner.sh"

show() {
	echo "--- daemon exit $(cat "$tmp/daemon.rc" 2>/dev/null), output:"
	tail -n 20 "$tmp/daemon.out" 2>/dev/null
	echo "--- iptables-legacy -S:"; cat "$tmp/v4.txt" 2>/dev/null
	for f in "$tmp"/mail/*; do
		[ -f "$f" ] || continue
		echo "--- message $(basename "$f"):"; cat "$f"
	done
}

if ! grep -qxF -- "-A POPAUTH -s 192.0.2.7/32 -j DROP" "$tmp/v4.txt"; then
	show
	skip "popauthd cannot ban yet (no DROP for 192.0.2.7 after the replay)"
fi

# msg_for IP - the one dumped message whose Subject names IP
msg_for() {
	grep -lxF "Subject: Null-Route Alert For $1" "$tmp"/mail/* 2>/dev/null
}
n=$(grep -c . "$tmp/mail.at-exit")
[ "$n" = 5 ] || fail "expected 5 alert messages (one per banned IP) when the replay ended, got $n"
grep -q "dropped at exit" "$tmp/popauthd.log" && fail "alerts dropped at exit: $(grep 'dropped at exit' "$tmp/popauthd.log")"
m4=$(msg_for 192.0.2.7)
m6=$(msg_for 2001:db8::7)
[ "$(echo "$m4" | grep -c .)" = 1 ] || fail "not exactly one alert for 192.0.2.7"
[ "$(echo "$m6" | grep -c .)" = 1 ] || fail "not exactly one alert for 2001:db8::7"
for m in $m4 $m6; do
	grep -qxF 'From: "popauthd rig alert" <admin@rig.test>' "$m" ||
		fail "$(basename "$m"): wrong From"
	grep -qxF 'To: "System Administrator" <admin@rig.test>' "$m" ||
		fail "$(basename "$m"): wrong To"
	grep -qxF 'X-Rcpt-Args: <admin@rig.test>' "$m" ||
		fail "$(basename "$m"): wrong envelope recipient"
	grep -qE '^Reason: attempts too frequent: [0-9.]+ attempts/min against a threshold of 2\.0/min \([0-9]+ in the last period; listed by zen\.rbl\.test\)\.' "$m" ||
		fail "$(basename "$m"): no Reason line with the rate and threshold: $(grep -i reason "$m")"
done
if [ -n "$m4" ]; then
	grep -q '^192\.0\.2\.7 \[.*\] has been null-routed until ' "$m4" ||
		fail "192.0.2.7: no 'has been null-routed until' line"
	grep -qxF 'access-list 100 deny ip host 192.0.2.7 any' "$m4" ||
		fail "192.0.2.7: no Cisco access-list line"
	grep -qxF 'iptables -A INPUT -s 192.0.2.7 -j DROP' "$m4" ||
		fail "192.0.2.7: no iptables line"
fi
if [ -n "$m6" ]; then
	grep -qxF ' deny ipv6 host 2001:db8::7 any' "$m6" ||
		fail "2001:db8::7: no Cisco ipv6 access-list line"
	grep -qxF 'ip6tables -A INPUT -s 2001:db8::7 -j DROP' "$m6" ||
		fail "2001:db8::7: no ip6tables line"
fi

if [ $fails -gt 0 ]; then
	show
	echo "FAIL: $(basename "$0"): $fails check(s) failed"
	exit 1
fi
echo "PASS: $(basename "$0")"
exit 0
