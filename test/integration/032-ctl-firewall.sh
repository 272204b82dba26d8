#!/bin/bash
# 032-ctl-firewall.sh - popauthctl ban, unban and delist reach the kernel at
# once: iptables-legacy -S POPAUTH inside a private network namespace
# (unshare -n; the host's firewall is never touched).
if [ -z "${PA_IN_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for unshare -n"; exit 77; }
	for t in unshare iptables-legacy ip6tables-legacy; do
		command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
	done
	unshare -n true 2>/dev/null || { echo "SKIP: unshare -n not permitted here"; exit 77; }
	PA_IN_NETNS=1 exec unshare -n bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

ip link set lo up	# postmap wants an active interface
pf_dir
CTL=${POPAUTHCTL:-$REPO/popauthd/popauthctl}
[ -x "$CTL" ] || fail "$CTL is missing; run make"
pa_conf firewall_backend=iptables iptables_chain=POPAUTH nullroute_keep_on_exit=no
pa_start
ctl() { "$CTL" -c "$CONF" "$@"; }
chain() { iptables-legacy -w -S POPAUTH 2>/dev/null; }
chain6() { ip6tables-legacy -w -S POPAUTH 2>/dev/null; }

ctl ban 192.0.2.7 1h test >/dev/null || fail "ban exit $?"
chain | grep -qxF -- "-A POPAUTH -s 192.0.2.7/32 -j DROP" || fail "ban: no DROP: $(chain)"
map_q 192.0.2.7 rbl_checks | grep -q test || fail "ban: not listed"
ctl ban 2001:db8::7 1h >/dev/null || fail "ban v6"
chain6 | grep -qxF -- "-A POPAUTH -s 2001:db8::7/128 -j DROP" || fail "ban v6: $(chain6)"
note "ban: ok"

ctl unban 192.0.2.7 >/dev/null || fail "unban exit $?"
chain | grep -q 192.0.2.7 && fail "unban: rule still there: $(chain)"
map_q 192.0.2.7 rbl_checks | grep -q test || fail "unban: entry must stay listed"
note "unban: ok"

ctl delist 2001:db8::7 >/dev/null || fail "delist exit $?"
chain6 | grep -q 2001:db8::7 && fail "delist: v6 rule still there: $(chain6)"
map_lacks 2001:db8::7 rbl_checks || fail "delist: still listed"
note "delist: ok"

ctl ban 192.0.2.8 1h >/dev/null && ctl ban 192.0.2.9 1h >/dev/null || fail "ban 2"
ctl flush bans --yes >/dev/null || fail "flush bans"
chain | grep -q -- "-A POPAUTH" && fail "flush bans left rules: $(chain)"
[ "$(ctl list blacklist --json | jq length)" = 3 ] || fail "flush bans must keep the entries"
note "flush bans: ok"
pa_stop
exit 0
