#!/bin/bash
# 102-fw-two-hosts.sh - the null-route as a client sees it: two network
# namespaces joined by a veth pair (addresses only inside them).  A TCP
# connection from the client host to port 25 on the server host succeeds
# before the ban, times out while popauthd (in the server namespace, iptables
# backend) holds the ban, and works again after the unban time.  IPv4 and IPv6.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
need ip iptables-legacy python3
SRV=pa102s$$ CLI=pa102c$$
cleanup_ns() {
	[ -n "${SINK:-}" ] && kill "$SINK" 2>/dev/null
	ip netns pids "$SRV" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$SRV" 2>/dev/null
	ip netns del "$CLI" 2>/dev/null
}
trap 'cleanup_ns; _lib_cleanup' EXIT
ip netns add "$SRV" && ip netns add "$CLI" || skip "cannot create network namespaces"
ip link add "v$SRV" netns "$SRV" type veth peer name "v$CLI" netns "$CLI" ||
	skip "cannot create a veth pair"
ip -n "$SRV" link set lo up
ip -n "$CLI" link set lo up
ip -n "$SRV" addr add 10.200.102.1/24 dev "v$SRV"
ip -n "$CLI" addr add 10.200.102.2/24 dev "v$CLI"
ip -n "$SRV" addr add fd42:102::1/64 dev "v$SRV" nodad
ip -n "$CLI" addr add fd42:102::2/64 dev "v$CLI" nodad
ip -n "$SRV" link set "v$SRV" up
ip -n "$CLI" link set "v$CLI" up

# a port-25 listener in the server namespace (answers a banner, both families)
ip netns exec "$SRV" python3 -c '
import socket, threading
def serve(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 25)); s.listen(16)
    while True:
        c, _ = s.accept(); c.sendall(b"220 test ESMTP\r\n"); c.close()
threading.Thread(target=serve, args=(socket.AF_INET6, "fd42:102::1"), daemon=True).start()
serve(socket.AF_INET, "10.200.102.1")' &
SINK=$!

# probe HOST - one TCP connect from the client namespace, 1.5 s limit
probe() {
	ip netns exec "$CLI" python3 -c '
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], 25), 1.5)
    sys.exit(0 if s.recv(64).startswith(b"220") else 1)
except OSError:
    sys.exit(1)' "$1"
}
wait_for -t 5 probe 10.200.102.1 || fail "no banner before the ban (v4)"
wait_for -t 5 probe fd42:102::1 || fail "no banner before the ban (v6)"
note "banner before the ban: ok"

pa_conf firewall_backend=iptables nullroute_scope=smtp nullroute_freq_bansecs=4s alert_smtp_server=
ip netns exec "$SRV" "$POPAUTHD" -f -c "$CONF" >>"$DAEMON_OUT" 2>&1 </dev/null &
PA_PID=$!
PA_PIDS+=("$PA_PID")
wait_for -t 10 _pa_ready || fail "popauthd not ready in the server namespace"

SMTPD='vm postfix/smtpd[1]: NOQUEUE: reject:'
now() { date '+%b %e %H:%M:%S'; }
# a listing, then repeats: nullroute_min_hits (5) make a rate worth a ban
for ip in 10.200.102.2 fd42:102::2; do
	rep="$(now) $SMTPD CONNECT from unknown[$ip]: 554 5.7.1 <unknown[$ip]>: Client host rejected: Your IP address has been blacklisted by zen.spamhaus.org. Visit their website or write to argue. x; proto=SMTP"
	pa_feed "$(now) $SMTPD RCPT from unknown[$ip]: 554 5.7.1 Service unavailable; Client host [$ip] blocked using zen.spamhaus.org; x; from=<a@b> to=<c@d> proto=ESMTP helo=<x>" \
		"$rep" "$rep" "$rep" "$rep"
done
wait_for -t 5 ip netns exec "$SRV" sh -c 'iptables-legacy -S POPAUTH | grep -q 10.200.102.2' ||
	fail "no v4 DROP rule: $(tail -3 "$LOG")"
wait_for -t 5 ip netns exec "$SRV" sh -c 'ip6tables-legacy -S POPAUTH | grep -q fd42:102::2' ||
	fail "no v6 DROP rule"
if probe 10.200.102.1; then fail "v4 client still connects while banned"; fi
if probe fd42:102::1; then fail "v6 client still connects while banned"; fi
note "connections time out while banned: ok"

wait_for -t 15 probe 10.200.102.1 || fail "v4 client not let back in after the unban: $(tail -3 "$LOG")"
wait_for -t 5 probe fd42:102::1 || fail "v6 client not let back in after the unban"
log_has "has been released from its null-route" || fail "no release line in the log"
ip netns exec "$SRV" iptables-legacy -S POPAUTH | grep -q 10.200.102.2 && fail "stale v4 rule after the unban"
note "back after the unban: ok"
pa_stop
exit 0
