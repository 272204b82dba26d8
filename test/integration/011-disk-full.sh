#!/bin/bash
# 011-disk-full.sh - disk full under the state and the maps: popauthd logs it,
# keeps reading the FIFO (past its spool, which it cannot write either), and
# catches up when space returns (the spool too); after a kill -9
# and restart the caught-up grants are still there.  The small disk is a tmpfs
# mounted in a private mount namespace (unshare -m), so the host sees nothing.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root for a private mount namespace"
need unshare mount
pf_dir
SMALL=$T/small
mkdir -p "$SMALL"
pa_conf data_directory="$SMALL/data" map_directory="$SMALL/maps"
export SMALL CONF FIFO LOG PFDIR POPAUTHD LIP

cat >"$T/inner.sh" <<'INNER'
set -u
. "$REPO/test/integration/lib.sh"
DATADIR=$SMALL/data MAPDIR=$SMALL/maps
mount -t tmpfs -o size=8m popauthd-test "$SMALL" || exit 77
mkdir -p "$SMALL/data" "$SMALL/maps"
pa_start
pa_feed "$(login_line alice 192.0.2.61)"
wait_for -t 5 map_has 192.0.2.61 || fail "no grant before the disk filled"
dd if=/dev/zero of="$SMALL/fill" bs=64k 2>/dev/null
pa_feed "$(login_line bob 192.0.2.62)" "$(login_line carol 2001:db8::62)"
wait_for -t 10 grep -q "No space left\|ENOSPC\|no space" "$LOG" ||
	fail "no disk-full warning in the log"
# 8 KiB more: past the spool's last page, so fifo.spool cannot take it
pad=$(head -c 8000 /dev/zero | tr '\0' p)
pa_feed "Nov 23 10:00:00 vm postfix/smtpd[7]: $pad" "$(login_line erin 192.0.2.64)"
wait_for -t 10 grep -q "fifo.spool: cannot write" "$LOG" ||
	fail "no warning that the FIFO spool cannot be written"
pa_alive || fail "daemon died when the spool could not be written"
pa_alive || fail "daemon died on a full disk"
map_has 192.0.2.61 || fail "old grant lost while the disk was full"
rm -f "$SMALL/fill"
wait_for -t 40 map_has 192.0.2.62 || fail "grant not written after space returned"
wait_for -t 5 map_has 2001:db8::62 || fail "IPv6 grant not written after space returned"
wait_for -t 5 map_has 192.0.2.64 || fail "grant read past the spool not written"
wait_for -t 40 grep -q "written again after" "$LOG" || fail "no catch-up line"
wait_for -t 40 grep -q "fifo.spool: spooling again" "$LOG" || fail "the FIFO spool did not resume"
pa_feed "$(login_line dave 192.0.2.63)"
wait_for -t 5 map_has 192.0.2.63 || fail "no grant after catching up"
pa_kill9
pa_start
for ip in 192.0.2.61 192.0.2.62 2001:db8::62 192.0.2.63 192.0.2.64; do
	map_has "$ip" || fail "$ip lost after kill -9 and restart"
done
pa_stop
umount "$SMALL"
exit 0
INNER
unshare -m --propagation private bash "$T/inner.sh"
rc=$?
[ "$rc" -eq 77 ] && skip "cannot mount a tmpfs here"
exit "$rc"
