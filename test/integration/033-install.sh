#!/bin/bash
# 033-install.sh - make install DESTDIR=... PREFIX=/usr gives a tree whose
# popauthd passes --check-config; man/popauthd.conf.5 names every key of
# popauthd/conf/conf.c (this fails when a key is added without its man entry).
. "$(dirname "$0")/lib.sh"

need make
keys=$(sed -n 's/^[[:space:]]*K(\([a-z_0-9]*\),.*/\1/p' "$REPO/popauthd/conf/conf.c")
[ -n "$keys" ] || fail "no keys found in popauthd/conf/conf.c"
missing=
for k in $keys; do
	grep -q "^\.B $k = " "$REPO/man/popauthd.conf.5" || missing="$missing $k"
done
[ -z "$missing" ] || fail "man/popauthd.conf.5 lacks:$missing"
# every key has its own text there, not a pointer into the source tree
grep -n "See etc/popauthd.conf" "$REPO/man/popauthd.conf.5" &&
	fail "man/popauthd.conf.5 sends keys to etc/popauthd.conf instead of saying what they do"
note "man page keys: ok"

make -s -C "$REPO" install DESTDIR="$T/root" PREFIX=/usr >"$T/install.out" 2>&1 ||
	fail "make install: $(tail -5 "$T/install.out")"
R=$T/root
for f in usr/sbin/popauthd usr/sbin/popauthctl etc/popauthd/popauthd.conf \
	etc/popauthd/whitelist usr/share/man/man8/popauthd.8 \
	usr/share/man/man8/popauthctl.8 usr/share/man/man5/popauthd.conf.5 \
	lib/systemd/system/popauthd.service lib/systemd/system/popauthd.socket \
	etc/logrotate.d/popauthd usr/share/doc/popauthd/popauthd.sql \
	usr/share/doc/popauthd/pgsql-popauth.cf usr/share/doc/popauthd/pgsql-rbl.cf; do
	[ -e "$R/$f" ] || fail "make install did not install /$f"
done
ls "$R"/etc/popauthd/rules/*.rules >/dev/null 2>&1 || fail "no rules installed"
[ -d "$R/var/lib/popauthd" ] || fail "no /var/lib/popauthd"
"$R/usr/sbin/popauthd" -c "$R/etc/popauthd/popauthd.conf" \
	-o rules_directory="$R/etc/popauthd/rules" --check-config >"$T/cc.out" 2>&1 ||
	fail "installed popauthd --check-config: $(cat "$T/cc.out")"
"$R/usr/sbin/popauthctl" --version | grep -q '^popauthctl ' || fail "popauthctl --version"
grep -q '^ExecStart=/usr/sbin/popauthd -f' "$R/lib/systemd/system/popauthd.service" ||
	fail "unit: ExecStart"
grep -q '^Restart=on-failure' "$R/lib/systemd/system/popauthd.service" || fail "unit: Restart"
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze verify "$R/lib/systemd/system/popauthd.service" 2>&1 |
		grep -i 'error\|invalid' && fail "systemd-analyze verify"
	systemd-analyze verify "$R/lib/systemd/system/popauthd.socket" 2>&1 |
		grep -i 'error\|invalid\|unknown' && fail "systemd-analyze verify popauthd.socket"
fi
if command -v logrotate >/dev/null 2>&1; then
	logrotate -d "$R/etc/logrotate.d/popauthd" >"$T/lr.out" 2>&1 || fail "logrotate -d: $(tail -3 "$T/lr.out")"
fi
note "install: ok"

note "make install PREFIX=DIR: everything under DIR, the paths compiled in"
stamp() { for f in /lib/systemd/system/popauthd.service /usr/lib/systemd/system/popauthd.service \
	/etc/logrotate.d/popauthd /etc/popauthd /var/lib/popauthd "$REPO/popauthd/popauthd"; do
	printf '%s %s\n' "$f" "$(stat -c '%Y %s' "$f" 2>/dev/null || echo absent)"
done; md5sum <"$REPO/popauthd/popauthd"; }
stamp >"$T/before"
P=$T/p
make -s -C "$REPO" install PREFIX="$P" >"$T/install2.out" 2>&1 ||
	fail "make install PREFIX: $(tail -5 "$T/install2.out")"
stamp >"$T/after"
diff "$T/before" "$T/after" >"$T/outside" ||
	fail "make install PREFIX=$P wrote outside it: $(cat "$T/outside")"
for f in sbin/popauthd sbin/popauthctl etc/popauthd/popauthd.conf etc/popauthd/whitelist \
	lib/systemd/system/popauthd.service etc/logrotate.d/popauthd share/man/man8/popauthd.8; do
	[ -e "$P/$f" ] || fail "make install PREFIX did not install $P/$f"
done
[ "$(stat -c %a "$P/var/lib/popauthd")" = 700 ] ||
	fail "data_directory mode $(stat -c %a "$P/var/lib/popauthd" 2>/dev/null), want 700"
grep -qxF "ExecStart=$P/sbin/popauthd -f -c $P/etc/popauthd/popauthd.conf" \
	"$P/lib/systemd/system/popauthd.service" || fail "unit: $(grep Exec "$P/lib/systemd/system/popauthd.service")"
# the socket unit's FIFO is the one the installed daemon reads
fifo=$(sed -n 's/^#fifo_path = //p' "$P/etc/popauthd/popauthd.conf")
[ "$fifo" = "$P/run/popauthd/maillog.fifo" ] || fail "installed config: fifo_path default $fifo"
grep -qxF "ListenFIFO=$fifo" "$P/lib/systemd/system/popauthd.socket" ||
	fail "socket unit: $(grep ListenFIFO "$P/lib/systemd/system/popauthd.socket"), daemon reads $fifo"
grep -qF "$P/var/log/popauthd.log" "$P/etc/logrotate.d/popauthd" || fail "logrotate file: $(head -3 "$P/etc/logrotate.d/popauthd")"
grep -qF "#rules_directory = $P/etc/popauthd/rules" "$P/etc/popauthd/popauthd.conf" ||
	fail "installed config shows the wrong default rules_directory"
# no -c, no -o: the compiled-in config file and rules_directory are under P
"$P/sbin/popauthd" --check-config >"$T/cc2.out" 2>&1 ||
	fail "installed popauthd --check-config: $(cat "$T/cc2.out")"
grep -qF "$P/etc/popauthd/popauthd.conf: ok" "$T/cc2.out" || fail "check-config read: $(cat "$T/cc2.out")"
grep -qF "$P/etc/popauthd/rules" "$T/cc2.out" || fail "rules from: $(cat "$T/cc2.out")"
note "install PREFIX: ok"
exit 0
