#!/bin/bash
# 058-replay-threads - --replay scans on a second thread and acts on the
# main one (engine/replay.c).  On a generated 60,000-line mail log (IPv4 and
# IPv6, logins, RBL rejects, forgeries, fishing, expiries, a New Year in the
# stamps) it must do exactly what the one-thread path does: the same log
# lines in the same order, byte-identical state tables and evidence
# journal (written by the write-behind thread here), the same maps,
# also with a commit every 256 KiB (chunk ends between batches).  The
# one-thread path is the replay before the scanner thread (a test hook).
. "$(dirname "$0")/lib.sh"

need cc db5.3_dump
pf_dir
export TZ=UTC

cc -std=c17 -O2 -o "$T/genlog" "$REPO/bench/genlog.c" || fail "cannot build bench/genlog.c"
# 2000 lines per log second: grants and listings expire inside the log
"$T/genlog" -n 60000 -s 7 -i 3000 -6 20 -r 20 >"$T/mail.log" ||
	fail "genlog failed"
# the last lines again, stamped across New Year
tail -n 2000 "$T/mail.log" | sed -E 's/^[A-Z][a-z]{2} [ 0-9]{2}/Dec 31/' >"$T/ny.log"
tail -n 2000 "$T/mail.log" | sed -E 's/^[A-Z][a-z]{2} [ 0-9]{2}/Jan  1/' >>"$T/ny.log"
cat "$T/ny.log" >>"$T/mail.log"
# attacker-written text the scanner thread escapes ahead (engine_prepare)
# and the one-thread path on apply: in the evidence line (past the 240
# bytes evidence keeps: tab, backslash, DEL, bad and good UTF-8) and in
# the fields trigger logs (a HELO past its 512-byte room, \001)
long=$(head -c 700 /dev/zero | tr '\0' 'h')
for i in 1 2 3; do
	printf 'Jan  1 00:59:5%d mx postfix/smtpd[4012]: NOQUEUE: reject: RCPT from unknown[198.51.100.%d]: 554 5.7.1 Service unavailable; Client host [198.51.100.%d] blocked using zen.spamhaus.org; from=<b\\d\tx\177\303\251t\351@example.com> to=<alice@example.org> proto=ESMTP helo=<%s>\n' \
		"$i" "$i" "$i" "$long" >>"$T/mail.log"
	printf 'Jan  1 00:59:5%d mx postfix/smtpd[4005]: NOQUEUE: reject: RCPT from unknown[2001:db8::%d]: 550 5.1.1 <s\\u@example.org>: Recipient address rejected: User unknown in virtual mailbox table; from=<\001x@example.com> to=<s\\u@example.org> proto=ESMTP helo=<a\tb%s\\>\n' \
		"$i" "$i" "$long" >>"$T/mail.log"
done

# run NAME [ENV...] - replay mail.log into $T/NAME/ with ENV set
run() {
	local name=$1 d=$T/$1
	shift
	mkdir -p "$d/data" "$d/maps"
	env "$@" timeout -k 2 60 "$POPAUTHD" -c "$CONF" --replay "$T/mail.log" \
		-o data_directory="$d/data" -o map_directory="$d/maps" \
		-o log_file="$d/log" >"$d/out" 2>&1 ||
		fail "$name: --replay failed: $(tail -n 5 "$d/out")"
	# the log without the pid, the run's own paths and the wall-clock
	# stamps of the start-up lines (the replay's lines carry log time)
	sed -E "s/popauthd\[[0-9]+\]/popauthd/; s#$d/##g;
		s/^($TODAY|$YESTERDAY) [0-9:]{8} /NOW /" "$d/log" >"$d/log.norm"
}
TODAY=$(date '+%b %e')
YESTERDAY=$(date -d yesterday '+%b %e')

# same A B - A's and B's log lines, tables and maps are the same
same() {
	local a=$T/$1 b=$T/$2 t m
	cmp -s "$a/log.norm" "$b/log.norm" ||
		fail "$1 and $2 logged differently: $(diff "$a/log.norm" "$b/log.norm" | head -n 6)"
	for t in grants blacklist fishing evidence greytrap sendmail; do
		[ -e "$a/data/$t.db" ] || continue
		cmp -s <(db5.3_dump -p -h "$a/data" "$a/data/$t.db") \
			<(db5.3_dump -p -h "$b/data" "$b/data/$t.db") ||
			fail "$1 and $2: state table $t differs"
	done
	# the evidence lines: appended in the same order, whatever the commits
	cmp -s "$a/data/evidence.journal" "$b/data/evidence.journal" ||
		fail "$1 and $2: evidence.journal differs"
	for m in popauth_checks rbl_checks; do
		cmp -s <(postmap -c "$PFDIR" -s "hash:$a/maps/$m" | sort) \
			<(postmap -c "$PFDIR" -s "hash:$b/maps/$m" | sort) ||
			fail "$1 and $2: map $m differs"
	done
}

pa_conf firewall_backend=none alert_smtp_server= pid_file= control_socket=
run serial POPAUTHD_TEST_REPLAY_SERIAL=1
run threads
run serialchunks POPAUTHD_TEST_REPLAY_SERIAL=1 POPAUTHD_TEST_REPLAY_CHUNK=262144
run chunks POPAUTHD_TEST_REPLAY_CHUNK=262144

lines=$(wc -l <"$T/serial/log.norm")
note "serial run: $lines log lines, $(postmap -c "$PFDIR" -s "hash:$T/serial/maps/rbl_checks" | wc -l) listed, $(postmap -c "$PFDIR" -s "hash:$T/serial/maps/popauth_checks" | wc -l) granted"
[ "$lines" -gt 3000 ] || fail "too few log lines for a comparison ($lines)"
grep -q "has expired and has been removed" "$T/serial/log" ||
	fail "no grant expired inside the log: the clock ticks are not exercised"
grep -q "has been blacklisted" "$T/serial/log" || fail "nothing was listed"
# past the 1 MiB buffer: the threaded runs queue it to the write-behind
# thread, and their log lines go through it at each commit
[ "$(stat -c %s "$T/serial/data/evidence.journal")" -gt 1100000 ] ||
	fail "evidence.journal holds too little to fill its buffer"

grep -q ":.*has authenticated a new relay session from [0-9a-f]*:" "$T/serial/log" ||
	fail "no IPv6 grant in the log"

grep -q 'Local address <s\\134u@example.org> not found in message from <\\001x@example.com>' "$T/serial/log" ||
	fail "the hostile fields are not in the log, escaped: $(grep -a 'not found' "$T/serial/log" | tail -n 1)"

note "two threads = one thread"
same serial threads
note "the same with a commit every 256 KiB (warnings then go out between commits)"
same serialchunks chunks
exit 0
