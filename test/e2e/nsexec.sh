#!/bin/sh
# nsexec.sh - run a command in a private mount namespace whose /dev/log is the rig's
# rsyslog socket and whose /etc/resolv.conf is the rig's (nameserver = the test dnsmasq).
#
# For test/e2e/run: Dovecot and Postfix call syslog(3) (always /dev/log) and resolve
# through /etc/resolv.conf; neither has a setting for another socket or nameserver.
# The host's /dev and /etc are never changed: the new /dev is a tmpfs mounted in the
# private namespace only, and nothing needs unmounting afterwards
# (../../../shared/ref/real-mail-stack.md section 4).
#
# Usage: nsexec.sh LOGSOCK RESOLVCONF COMMAND [ARG]...
# The command replaces this process (same PID): a foreground daemon started with `&`
# has PID $!; a forking daemon keeps the namespace for its children.
set -eu
[ $# -ge 3 ] || { echo "usage: nsexec.sh LOGSOCK RESOLVCONF COMMAND..." >&2; exit 64; }
E2E_LOGSOCK=$1
E2E_RESOLV=$2
shift 2
export E2E_LOGSOCK E2E_RESOLV
# shellcheck disable=SC2016 # expanded by the inner sh
exec unshare -m --propagation private -- sh -c '
set -e
d=$(mktemp -d /tmp/e2edev.XXXXXX)
mount -t tmpfs -o mode=0755,size=64k e2edev "$d"
for n in null zero full random urandom tty; do
	touch "$d/$n"
	mount --bind "/dev/$n" "$d/$n"
done
mkdir "$d/pts" "$d/shm"
mount --rbind /dev/pts "$d/pts"
mount -t tmpfs -o mode=1777 e2eshm "$d/shm"
ln -s /proc/self/fd "$d/fd"
ln -s "$E2E_LOGSOCK" "$d/log"
mount --move "$d" /dev
rmdir "$d"
mount --bind "$E2E_RESOLV" /etc/resolv.conf
unset E2E_LOGSOCK E2E_RESOLV
exec "$@"' nsexec "$@"
