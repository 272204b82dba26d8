#!/bin/bash
# 044-greytrap-dns.sh - the greytrapper's asynchronous checks through the
# FIFO: MX/A lookups against a dnsmasq the test starts on 127.0.46.53:53
# (domains with MX, with only A, with neither) and a server that never answers
# (127.0.46.54:53, a UDP socket that reads and discards) for the timeout; the
# external checker program (exit 1 traps, a hung one is killed).  Each domain
# is asked once however many clients use it; the FIFO keeps flowing while a
# lookup waits.  The host's resolver is never used.
. "$(dirname "$0")/lib.sh"

need dnsmasq python3
pf_dir
DNS=127.0.46.53
HOLE=127.0.46.54

cat >"$T/dnsmasq.conf" <<EOT
listen-address=$DNS
bind-interfaces
port=53
no-resolv
no-hosts
no-poll
local=/#/
user=root
pid-file=$T/dnsmasq.pid
log-queries
log-facility=$T/dnsmasq.log
mx-host=mx-domain.test,mail.mx-domain.test,10
address=/mail.mx-domain.test/127.0.0.20
address=/a-only.test/127.0.0.21
EOT
dnsmasq -C "$T/dnsmasq.conf" || skip "dnsmasq cannot listen on $DNS:53"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
open(sys.argv[2], "w").write("up")
while True:
    s.recv(4096)
' "$HOLE" "$T/hole.up" &
HOLE_PID=$!
cleanup_dns() {
	[ -s "$T/dnsmasq.pid" ] && kill "$(cat "$T/dnsmasq.pid")" 2>/dev/null
	kill "$HOLE_PID" 2>/dev/null
	_lib_cleanup
}
trap cleanup_dns EXIT
wait_for test -s "$T/hole.up" || fail "the silent DNS server did not start"

cat >"$T/checker" <<EOT
#!/bin/sh
echo "\$#:\$1" >>"$T/checker.args"
case "\$1" in
bad*) exit 1 ;;
slow*) exec sleep 30 ;;
esac
exit 0
EOT
chmod 755 "$T/checker"

grey() { # IP FROM TO
	echo "$(date '+%b %e %H:%M:%S') mx postfix/smtpd[1574]: NOQUEUE: reject: RCPT from unknown[$1]: 450 4.2.0 <$3>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/rig.test.html; from=<$2> to=<$3> proto=ESMTP helo=<x.example>"
}

# 1. DNS: MX and A-only domains pass, a domain with neither traps every
#    client that uses it, asked once
pa_conf greytrap_dns_servers=$DNS greytrap_checker="$T/checker" greytrap_checker_timeout=1s
pa_start
pa_feed "$(grey 198.51.100.70 a@mx-domain.test u1@rig.test)" \
    "$(grey 198.51.100.71 a@A-Only.test u2@rig.test)" \
    "$(grey 198.51.100.72 x@nohost.test u3@rig.test)" \
    "$(grey 198.51.100.73 y@nohost.test u4@rig.test)" \
    "$(grey 198.51.100.74 z@NoHost.test u5@rig.test)"
wait_for listed 198.51.100.72 "Mailed from sender nohost.test with no MX or A" ||
	fail "c1: 198.51.100.72 not trapped: $(map_q 198.51.100.72 rbl_checks)"
wait_for listed 198.51.100.73 "nohost.test" || fail "c1: 198.51.100.73 not trapped"
wait_for listed 198.51.100.74 "nohost.test" || fail "c1: 198.51.100.74 not trapped"
stay_for 1 map_lacks 198.51.100.70 rbl_checks || fail "c1: MX domain trapped"
map_lacks 198.51.100.71 rbl_checks || fail "c1: A-only domain trapped"
[ "$(grep -c 'query\[A\] nohost.test' "$T/dnsmasq.log")" -eq 1 ] ||
	fail "c1: nohost.test A asked more than once: $(grep nohost "$T/dnsmasq.log")"
[ "$(grep -c 'query\[MX\] nohost.test' "$T/dnsmasq.log")" -eq 1 ] ||
	fail "c1: nohost.test MX asked more than once"
log_has "Trapped 198.51.100.73: Mailed from sender nohost.test with no MX or A" ||
	fail "c1: no Trapped line"
note "c1 MX/A checks: ok"

# 2. the checker: non-zero traps, a hung one is killed, zero passes; the
#    recipient is its only argument
pa_feed "$(grey 198.51.100.75 a@mx-domain.test bad-user@rig.test)" \
    "$(grey 198.51.100.76 a@mx-domain.test slow@rig.test)" \
    "$(grey 198.51.100.77 a@mx-domain.test fine@rig.test)"
wait_for listed 198.51.100.75 "Mailed to trap address bad-user@rig.test" ||
	fail "c2: checker exit 1 did not trap"
wait_for -t 5 log_has "<slow@rig.test>: $T/checker timed out; killed" ||
	fail "c2: hung checker not killed"
map_lacks 198.51.100.76 rbl_checks || fail "c2: timed-out check trapped"
map_lacks 198.51.100.77 rbl_checks || fail "c2: checker exit 0 trapped"
grep -qx '1:bad-user@rig.test' "$T/checker.args" || fail "c2: checker arguments: $(cat "$T/checker.args")"
if pgrep -f "sleep 30" -P "$PA_PID" >/dev/null; then fail "c2: checker child left"; fi
pa_stop
[ "$PA_RC" -eq 0 ] || fail "c2: popauthd exited $PA_RC"
note "c2 checker: ok"

# 3. a server that never answers: no trap, a log line; the FIFO keeps
#    flowing while the lookup waits
rm -rf "$DATADIR" "$MAPDIR"
pa_conf greytrap_dns_servers=$HOLE greytrap_dns_timeout=1500ms greytrap_checker=
pa_start
pa_feed "$(grey 198.51.100.80 x@never.test u@rig.test)" "$(login_line alice 203.0.113.80)"
wait_for -t 1 map_has 203.0.113.80 || fail "c3: the login waited for DNS"
[ "$WAITED_MS" -lt 1000 ] || fail "c3: grant took ${WAITED_MS} ms"
wait_for -t 5 log_has "never.test: MX/A lookup failed; not a reason to trap" ||
	fail "c3: no timeout line"
map_lacks 198.51.100.80 rbl_checks || fail "c3: trapped on a DNS timeout"
pa_stop
note "c3 timeout: ok"

# 4. greytrap_dns_parallel = 0: no lookups at all
rm -rf "$DATADIR" "$MAPDIR"
: >"$T/dnsmasq.log"
pa_conf greytrap_dns_servers=$DNS greytrap_dns_parallel=0 greytrap_checker=
pa_start
pa_feed "$(grey 198.51.100.81 x@off.test u@rig.test)"
stay_for 1 map_lacks 198.51.100.81 rbl_checks || fail "c4: trapped with DNS off"
if grep -q off.test "$T/dnsmasq.log"; then fail "c4: asked with greytrap_dns_parallel = 0"; fi
pa_stop
note "c4 DNS off: ok"
exit 0
