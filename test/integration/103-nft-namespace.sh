#!/bin/bash
# 103-nft-namespace.sh - firewall_backend = nftables: bans are elements with
# kernel timeouts in table inet popauthd, inside a private network namespace
# (unshare -n; the host's firewall is never touched).  Asserts on
# `nft list table inet popauthd`: timeouts shown, a 2 s ban lifts on time, a
# 1-week ban stays, IPv6 in ban6, port scope drops port 25 only (a real TCP connect), a foreign table is untouched, the refresh
# repairs a set flushed by hand, and a ban lifts in the kernel while the
# daemon is down.  (popauthctl cannot ban a /64; check_fw_nft.c asserts
# that a /64 is an interval element of ban6net.)
if [ -z "${PA_IN_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for unshare -n"; exit 77; }
	for t in unshare nft python3; do
		command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
	done
	unshare -n true 2>/dev/null || { echo "SKIP: unshare -n not permitted here"; exit 77; }
	PA_IN_NETNS=1 exec unshare -n bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

ip link set lo up
ip addr add 192.0.2.1/32 dev lo
ip addr add 192.0.2.7/32 dev lo
ip addr add 192.0.2.8/32 dev lo
pf_dir
CTL=${POPAUTHCTL:-$REPO/popauthd/popauthctl}
[ -x "$CTL" ] || fail "$CTL is missing; run make"
ctl() { "$CTL" -c "$CONF" "$@"; }
tab() { nft list table inet popauthd 2>&1; }
tab_has() { tab | grep -qE -- "$1"; }
tab_lacks() { ! tab | grep -qE -- "$1"; }

# an admin's own table, with a rule and a set, must never change
nft add table inet admin && nft add set inet admin keep '{ type ipv4_addr; }' &&
	nft add element inet admin keep '{ 198.51.100.1 }' &&
	nft add chain inet admin c && nft add rule inet admin c ip saddr 198.51.100.2 drop ||
	fail "cannot make the admin table"
admin_before=$(nft list table inet admin)

pa_conf firewall_backend=nftables nullroute_keep_on_exit=yes iptables_refresh=1s
pa_start
tab_has 'ip saddr @ban4 drop' || fail "no table: $(tab)"

ctl ban 192.0.2.20 2s short >/dev/null || fail "ban 2s"
ctl ban 192.0.2.21 1w long >/dev/null || fail "ban 1w"
ctl ban 2001:db8::7 1h v6 >/dev/null || fail "ban v6"
tab_has '192\.0\.2\.20 timeout 2s' || fail "2 s ban: $(tab)"
tab_has '192\.0\.2\.21 timeout 7d' || fail "1w ban: $(tab)"
tab_has '2001:db8::7 timeout 1h' || fail "v6 ban: $(tab)"
note "bans with kernel timeouts: ok"

# list bans: the kernel's remaining time beside the state's
ctl list bans >"$T/bans.txt" || fail "list bans"
grep -qE '^IP .* KERNEL ' "$T/bans.txt" || fail "no KERNEL column: $(cat "$T/bans.txt")"
grep -qE '^192\.0\.2\.21 .* 6d23h59m[0-9]+s ' "$T/bans.txt" ||
	fail "1w ban's kernel time: $(cat "$T/bans.txt")"
ctl list bans --json >"$T/bans.json" || fail "list bans --json"
python3 - "$T/bans.json" <<'PYEOF' || fail "kernel_left: $(cat "$T/bans.json")"
import json, sys, time
now = time.time()
seen = 0
for b in json.load(open(sys.argv[1])):
    if b["ip"] in ("192.0.2.21", "2001:db8::7"):
        assert abs(b["kernel_left"] - (b["unban"] - now)) <= 5, b
        seen += 1
assert seen == 2
PYEOF
note "list bans: kernel time within 5 s of the state's"
wait_for -t 5 tab_lacks '192\.0\.2\.20' || fail "2 s ban did not lift: $(tab)"
tab_has '192\.0\.2\.21 timeout 7d' || fail "1w ban gone: $(tab)"
note "2 s ban lifted after ${WAITED_MS} ms; 1w ban stays"

# an admin flushes our set by hand: the next reconcile (every
# iptables_refresh, checked every 10 s; SIGHUP at once) repairs it
nft flush set inet popauthd ban4
kill -HUP "$PA_PID"
wait_for -t 5 tab_has '192\.0\.2\.21 timeout' || fail "flushed set not repaired: $(tab)"
note "reconcile repaired a flushed set after ${WAITED_MS} ms"

ctl unban 192.0.2.21 >/dev/null || fail "unban"
tab_lacks '192\.0\.2\.21' || fail "unban left the element: $(tab)"
note "unban: ok"

# the kernel lifts a ban while popauthd is down
ctl ban 192.0.2.22 2s down >/dev/null || fail "ban 2s"
pa_kill9
tab_has '192\.0\.2\.22 timeout 2s' || fail "kept ban missing: $(tab)"
wait_for -t 5 tab_lacks '192\.0\.2\.22' || fail "kernel did not lift: $(tab)"
note "kernel lifted a ban with popauthd down"

# port scope: 192.0.2.7 may not reach port 25, still reaches 26
pa_conf firewall_backend=nftables nullroute_scope=smtp nullroute_ports=25 \
	nullroute_keep_on_exit=no
pa_start
ctl ban 192.0.2.7 1h scoped >/dev/null || fail "ban smtp"
nft list set inet popauthd ban4_smtp | grep -q '192.0.2.7 timeout 1h' ||
	fail "smtp set: $(tab)"
python3 - >"$T/connect.txt" <<'PYEOF'
import socket, threading
res = []
for port in (25, 26):
    srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("192.0.2.1", port)); srv.listen(8)
    threading.Thread(target=lambda s=srv: [s.accept() for _ in range(8)], daemon=True).start()
    for src in ("192.0.2.7", "192.0.2.8"):
        c = socket.socket(); c.settimeout(1.0); c.bind((src, 0))
        try:
            c.connect(("192.0.2.1", port)); res.append("%s:%d connected" % (src, port))
        except OSError as e:
            res.append("%s:%d blocked" % (src, port))
        c.close()
print("\n".join(res))
PYEOF
for want in "192.0.2.7:25 blocked" "192.0.2.8:25 connected" "192.0.2.7:26 connected" \
	"192.0.2.8:26 connected"; do
	grep -qxF "$want" "$T/connect.txt" || fail "connect: want $want: $(cat "$T/connect.txt")"
done
note "smtp scope drops port 25 only"
pa_stop
nft list tables | grep -q 'inet popauthd' && fail "keep_on_exit = no left the table"
[ "$(nft list table inet admin)" = "$admin_before" ] || fail "admin table changed: $(nft list table inet admin)"
note "foreign table untouched; our table removed at exit"
exit 0
