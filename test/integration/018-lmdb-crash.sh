#!/bin/bash
# 018-lmdb-crash - test 009 (kill -9 in a stream of grants and listings) with
# map_type = lmdb: after every kill the .lmdb tables open in postmap and
# hold every grant and listing the log reported, before any restart.
T=${T:?} REPO=${REPO:?}
PF=$T/pfcheck
mkdir -p "$PF" && echo 'compatibility_level = 3.6' >"$PF/main.cf"
if ! postconf -c "$PF" -m 2>/dev/null | grep -qx lmdb; then
	echo "SKIP: postfix-lmdb is not installed"
	exit 77
fi
MAPTYPE=lmdb exec bash "$REPO/test/integration/009-crash.sh"
