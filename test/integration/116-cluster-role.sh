#!/bin/bash
# 116-cluster-role - the least-privilege set-up etc/popauthd.sql describes:
# an admin creates the schema with that file, the nodes connect as a role
# that may not create anything (only SELECT, INSERT, DELETE on the table and
# USAGE on its sequence) and still publish, fetch and prune; Postfix's
# pgsql: maps work as a role with SELECT on the two views only.
. "$(dirname "$0")/lib.sh"
pf_dir
postconf -c "$PFDIR" -m 2>/dev/null | grep -qx pgsql || skip "postfix-pgsql is not installed"
. "$(dirname "$0")/pglib.sh"

pg_up
psql -X -q -h "$PGS" -p "$PGPORT" -U postgres -d "$PGDB" -v ON_ERROR_STOP=1 \
	-f "$REPO/etc/popauthd.sql" >"$T/schema.out" 2>&1 || fail "etc/popauthd.sql: $(cat "$T/schema.out")"
sql "CREATE ROLE popauthd_node LOGIN;
GRANT SELECT, INSERT, DELETE ON popauthd_changes TO popauthd_node;
GRANT USAGE ON SEQUENCE popauthd_changes_id_seq TO popauthd_node;
CREATE ROLE popauthd_postfix LOGIN;
GRANT SELECT ON popauthd_relay, popauthd_blacklist TO popauthd_postfix;" >/dev/null ||
	fail "cannot create the roles"
[ "$(sql "SELECT has_schema_privilege('popauthd_node', 'public', 'CREATE')")" = f ] ||
	fail "the node role may create in public: the test would prove nothing"

NODECONN="host=$PGS port=$PGPORT dbname=$PGDB user=popauthd_node"
node_conf A "cluster_database=$NODECONN" popauth_expire=2s cluster_retention=1s
node_conf B "cluster_database=$NODECONN"
node_start A
node_start B
connected() { [ "$(node_stat "$1" cluster.connected)" = yes ]; }
wait_for -t 10 connected A || fail "A (role popauthd_node) not connected: $(node_ctl A status | grep cluster)"
wait_for -t 10 connected B || fail "B (role popauthd_node) not connected: $(node_ctl B status | grep cluster)"

note "publish and fetch as popauthd_node"
node_feed A "$(login_line alice 192.0.2.40)"
wait_for node_has B 192.0.2.40 || fail "A's grant did not reach B: $(node_dump B)"

note "Postfix as popauthd_postfix"
sed -e "s|^hosts = .*|hosts = postgresql://popauthd_postfix@/$PGDB?host=$PGS\&port=$PGPORT|" \
	"$REPO/maps/pgsql-popauth.cf" >"$T/pgsql-popauth.cf"
node_ctl B grant 192.0.2.42 1h >/dev/null || fail "grant on B failed"
pq() { postmap -c "$PFDIR" -q "$1" "pgsql:$T/pgsql-popauth.cf" 2>"$T/pq.err"; }
wait_for eval '[ "$(pq 192.0.2.42)" = OK ]' || fail "pgsql as popauthd_postfix: [$(pq 192.0.2.42)] $(cat "$T/pq.err")"

note "pruning as popauthd_node (A: popauth_expire 2s, cluster_retention 1s)"
wait_for -t 10 eval '[ "$(sql "SELECT count(*) FROM popauthd_changes WHERE ip = '"'192.0.2.40'"'")" = 0 ]' ||
	fail "A did not prune its expired grant: $(node_ctl A status | grep cluster)"
for n in A B; do
	[ "$(node_stat $n cluster.failures)" = 0 ] || fail "node $n: $(node_ctl $n status | grep cluster)"
done
node_stop A
node_stop B
exit 0
