#!/bin/sh
# 100-fw-namespace.sh - popauthd null-routes through libiptc, in a private netns.
#
# The real daemon replays a mail log in which 192.0.2.7 and 2001:db8::7 are
# listed by an RBL and then hammer the server once a second, while 192.0.2.99
# is listed but comes back only once, a minute later (below every threshold).
# Everything runs inside `unshare -n` (a fresh network namespace that dies
# with the shell), never on the host's own firewall.  We assert what the
# kernel holds (iptables-legacy -S, ip6tables-legacy -S) and what it does (a
# connection from a banned source address times out, one from another
# address gets through), for nullroute_scope = all and smtp, with and without
# nullroute_keep_on_exit.
#
# Exit: 0 pass, 1 fail (what failed is printed), 77 skip (a SKIP: line says why).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
POPAUTHD=${POPAUTHD:-$top/popauthd/popauthd}
PY=/usr/bin/python3

skip() { echo "SKIP: $(basename "$0"): $*"; exit 77; }
fails=0
fail() { echo "FAIL: $(basename "$0"): $*"; fails=$((fails + 1)); }

[ "$(id -u)" = 0 ] || skip "needs root for unshare -n"
for t in unshare ip iptables-legacy ip6tables-legacy; do
	command -v $t >/dev/null 2>&1 || skip "$t not installed"
done
[ -x "$PY" ] || skip "$PY not installed"
[ -x "$POPAUTHD" ] || skip "$POPAUTHD not built"
unshare -n true 2>/dev/null || skip "unshare -n not permitted here"
if ! "$POPAUTHD" --version >/dev/null 2>&1; then
	echo "FAIL: $(basename "$0"): $POPAUTHD --version does not work"
	exit 1
fi

tmp=$(mktemp -d /tmp/popauthd-100.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# the log: one RBL listing each, then a repeat every second for 60 s
"$PY" - "$tmp/maillog" <<'EOF'
import sys
out = open(sys.argv[1], "w")
def line(sec, text):
    out.write("Nov 23 06:%02d:%02d vm postfix/smtpd[4242]: %s\n" % (sec // 60, sec % 60, text))
def listed(sec, ip):
    line(sec, "NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 Service unavailable; "
         "Client host [%s] blocked using zen.rbl.test; from=<a@example.net> "
         "to=<b@rig.test> proto=ESMTP helo=<spam.example>" % (ip, ip))
def repeat(sec, ip):
    line(sec, "NOQUEUE: reject: CONNECT from unknown[%s]: 554 5.7.1 <unknown[%s]>: "
         "Client host rejected: Your IP address has been blacklisted by zen.rbl.test. "
         "Visit their website or write to argue.; proto=SMTP" % (ip, ip))
for ip in ("192.0.2.7", "2001:db8::7", "192.0.2.99"):
    listed(0, ip)
for s in range(2, 62):
    repeat(s, "192.0.2.7")
    repeat(s, "2001:db8::7")
# one slow repeat, after more than 1/nullroute_freq_thresh (30 s) of quiet
repeat(61, "192.0.2.99")
EOF

# the families log: the RBL hammering above, plus a sendmail guesser
# (192.0.2.20), a spamcop reject (192.0.2.21) and a guesser that then hammers
# like the RBL clients (192.0.2.22)
"$PY" - "$tmp/maillog" "$tmp/families.log" <<'EOF'
import sys
out = open(sys.argv[2], "w")
out.write(open(sys.argv[1]).read())
def sm(sec, text):
    out.write("Nov 23 06:%02d:%02d mx sm-mta[6530]: %s\n" % (sec // 60, sec % 60, text))
def unknown(sec, ip, n):
    sm(sec, "5ANAF4Qx006530: ruleset=check_rcpt, arg1=<u%d@rig.test>, relay=g.example [%s], "
       "reject=550 5.1.1 <u%d@rig.test>... User unknown" % (n, ip, n))
for n in range(5):
    unknown(62, "192.0.2.20", n)
    unknown(62, "192.0.2.22", n)
sm(62, "ruleset=check_relay, arg1=[192.0.2.21], arg2=127.0.0.2, relay=[192.0.2.21], "
   "reject=553 5.3.0 Mail Rejected: http://spamcop.net/bl.shtml?192.0.2.21")
for s in range(63, 70):
    out.write("Nov 23 06:01:%02d vm postfix/smtpd[4242]: NOQUEUE: reject: CONNECT from "
              "unknown[192.0.2.22]: 554 5.7.1 <unknown[192.0.2.22]>: Client host rejected: "
              "Your IP address has been blacklisted by zen.rbl.test. Visit their website "
              "or write to argue.; proto=SMTP\n" % (s - 60))
EOF

# conf_for NAME SCOPE KEEP - a config with its own state and map directories
conf_for() {
	d=$tmp/$1
	mkdir -p "$d/data" "$d/maps"
	cat >"$d/popauthd.conf" <<EOF
data_directory = $d/data
map_directory = $d/maps
rules_directory = $top/etc/rules
fifo_path = $d/maillog.fifo
log_file = $d/popauthd.log
pid_file =
control_socket =
run_as_user =
firewall_backend = iptables
iptables_chain = POPAUTH
nullroute_scope = $2
nullroute_ports = 25
nullroute_keep_on_exit = $3
nullroute_freq_bansecs = 10m
nullroute_msg_bansecs = 10m
nullroute_alert_thresh = 1000000000
EOF
}

# run_ns NAME [LOG] - replay in a fresh namespace, then record what the kernel holds
# and whether connections from banned and unbanned sources get through
run_ns() {
	d=$tmp/$1
	log=${2:-$tmp/maillog}
	cat >"$d/inner.sh" <<EOF
ip link set lo up
ip addr add 192.0.2.1/32 dev lo
ip addr add 192.0.2.7/32 dev lo
ip addr add 192.0.2.8/32 dev lo
"$POPAUTHD" -f -c "$d/popauthd.conf" --replay "$log" \
    >"$d/daemon.out" 2>&1
echo \$? >"$d/daemon.rc"
iptables-legacy -w -S >"$d/v4.txt" 2>&1
ip6tables-legacy -w -S >"$d/v6.txt" 2>&1
"$PY" - "$d" <<'PYEOF'
import socket, sys, threading
d = sys.argv[1]
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("192.0.2.1", 25)); srv.listen(8)
threading.Thread(target=lambda: [srv.accept() for _ in range(8)], daemon=True).start()
res = []
for src in ("192.0.2.7", "192.0.2.8"):
    c = socket.socket(); c.settimeout(1.5); c.bind((src, 0))
    try:
        c.connect(("192.0.2.1", 25)); res.append("%s connected" % src)
    except OSError as e:
        res.append("%s blocked (%s)" % (src, type(e).__name__))
    c.close()
open(d + "/connect.txt", "w").write("\n".join(res) + "\n")
PYEOF
EOF
	unshare -n sh "$d/inner.sh"
}

has() { grep -qxF -- "$2" "$1"; }

show() {
	d=$tmp/$1
	echo "--- $1: daemon exit $(cat "$d/daemon.rc" 2>/dev/null), output:"
	tail -n 20 "$d/daemon.out" 2>/dev/null
	echo "--- $1: iptables-legacy -S:"; cat "$d/v4.txt" 2>/dev/null
	echo "--- $1: ip6tables-legacy -S:"; cat "$d/v6.txt" 2>/dev/null
	echo "--- $1: connections:"; cat "$d/connect.txt" 2>/dev/null
}

# 1. scope all, rules kept at exit
conf_for all all yes
run_ns all
d=$tmp/all
if ! has "$d/v4.txt" "-A POPAUTH -s 192.0.2.7/32 -j DROP"; then
	show all
	skip "popauthd cannot ban yet (no DROP for 192.0.2.7 after the replay)"
fi
[ "$(cat "$d/daemon.rc")" = 0 ] || fail "all: daemon exit $(cat "$d/daemon.rc")"
has "$d/v4.txt" "-N POPAUTH" || fail "all: no chain POPAUTH (IPv4)"
[ "$(grep -cxF -- "-A INPUT -j POPAUTH" "$d/v4.txt")" = 1 ] ||
	fail "all: not exactly one jump from INPUT (IPv4)"
has "$d/v6.txt" "-A INPUT -j POPAUTH" || fail "all: no jump from INPUT (IPv6)"
has "$d/v6.txt" "-A POPAUTH -s 2001:db8::7/128 -j DROP" ||
	fail "all: 2001:db8::7 not null-routed"
grep -q "192.0.2.99" "$d/v4.txt" && fail "all: 192.0.2.99 null-routed after one slow repeat"
[ "$(grep -c -- "-A POPAUTH -s 192.0.2.7/32" "$d/v4.txt")" = 1 ] ||
	fail "all: 192.0.2.7 has more than one rule"
has "$d/connect.txt" "192.0.2.7 blocked (TimeoutError)" ||
	has "$d/connect.txt" "192.0.2.7 blocked (timeout)" ||
	fail "all: the kernel let banned 192.0.2.7 connect"
has "$d/connect.txt" "192.0.2.8 connected" || fail "all: 192.0.2.8 was blocked too"
[ $fails = 0 ] || show all

# 2. scope smtp: tcp to nullroute_ports only
conf_for smtp smtp yes
run_ns smtp
d=$tmp/smtp
has "$d/v4.txt" "-A POPAUTH -s 192.0.2.7/32 -p tcp -m tcp --dport 25 -j DROP" ||
	fail "smtp: no port-25 DROP for 192.0.2.7"
has "$d/v6.txt" "-A POPAUTH -s 2001:db8::7/128 -p tcp -m tcp --dport 25 -j DROP" ||
	fail "smtp: no port-25 DROP for 2001:db8::7"
has "$d/v4.txt" "-A POPAUTH -s 192.0.2.7/32 -j DROP" &&
	fail "smtp: scope smtp wrote an all-traffic DROP"
has "$d/connect.txt" "192.0.2.8 connected" || fail "smtp: 192.0.2.8 was blocked"
[ $fails = 0 ] || show smtp

# 3. nullroute_keep_on_exit = no: chain, rules and jump leave with the daemon
conf_for nokeep all no
run_ns nokeep
d=$tmp/nokeep
grep -q POPAUTH "$d/v4.txt" && fail "nokeep: IPv4 chain or jump left behind"
grep -q POPAUTH "$d/v6.txt" && fail "nokeep: IPv6 chain or jump left behind"
has "$d/connect.txt" "192.0.2.7 connected" ||
	fail "nokeep: 192.0.2.7 still blocked after exit"
[ $fails = 0 ] || show nokeep

# 4. ban families keep the seeds' scopes (defaults: sendmail_ban_scope and
# spamcop_ban_scope smtp, nullroute_scope all)
conf_for families all yes
run_ns families "$tmp/families.log"
d=$tmp/families
has "$d/v4.txt" "-A POPAUTH -s 192.0.2.7/32 -j DROP" ||
	fail "families: the RBL null-route of 192.0.2.7 is not all-traffic"
has "$d/v4.txt" "-A POPAUTH -s 192.0.2.20/32 -p tcp -m tcp --dport 25 -j DROP" ||
	fail "families: guesser 192.0.2.20 not dropped on port 25"
grep -q -- "-A POPAUTH -s 192.0.2.20/32 -j DROP" "$d/v4.txt" &&
	fail "families: guesser 192.0.2.20 dropped for all traffic"
has "$d/v4.txt" "-A POPAUTH -s 192.0.2.21/32 -p tcp -m tcp --dport 25 -j DROP" ||
	fail "families: spamcop reject 192.0.2.21 not dropped on port 25"
grep -q -- "-A POPAUTH -s 192.0.2.21/32 -j DROP" "$d/v4.txt" &&
	fail "families: spamcop reject 192.0.2.21 dropped for all traffic"
has "$d/v4.txt" "-A POPAUTH -s 192.0.2.22/32 -j DROP" ||
	fail "families: hammering guesser 192.0.2.22 not widened to all traffic"
[ "$(grep -c -- "-A POPAUTH -s 192.0.2.22/32" "$d/v4.txt")" = 1 ] ||
	fail "families: 192.0.2.22 kept its port-25 rule beside the wider one"
grep -q "192.0.2.22 .* null-route widened to all traffic" "$d/popauthd.log" ||
	fail "families: the widening of 192.0.2.22 is not logged"
[ $fails = 0 ] || show families

if [ $fails -gt 0 ]; then
	echo "FAIL: $(basename "$0"): $fails check(s) failed"
	exit 1
fi
echo "PASS: $(basename "$0")"
exit 0
