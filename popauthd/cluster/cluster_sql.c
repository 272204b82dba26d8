/*
 * cluster_sql.c - the SQL of the cluster link (see cluster_sql.h).
 *
 * Every statement is constant text: values (the last id, a batch's arrays,
 * the retention) are parameters $1.. and never part of it.  The schema is
 * created idempotently (IF NOT EXISTS, OR REPLACE) under an advisory lock,
 * so nodes starting together do not trip over each other; test 110 checks
 * that etc/popauthd.sql makes the same schema.
 */
#include "cluster_sql.h"

/* the schema: etc/popauthd.sql is this, with comments */
const char clsql_schema[] =
    "SET client_min_messages = warning;"
    "BEGIN;"
    "SELECT pg_advisory_xact_lock(2126001);"
    "CREATE TABLE IF NOT EXISTS popauthd_changes ("
    " id bigserial PRIMARY KEY,"
    " node text NOT NULL,"
    " node_seq bigint NOT NULL,"
    " kind text NOT NULL CHECK (kind IN ('grant', 'revoke', 'listing',"
    " 'delist', 'ban', 'unban')),"
    " ip inet NOT NULL,"
    " expires timestamptz,"
    " reason text NOT NULL DEFAULT '',"
    " at timestamptz NOT NULL DEFAULT now(),"
    " UNIQUE (node, node_seq));"
    "CREATE INDEX IF NOT EXISTS popauthd_changes_ip"
    " ON popauthd_changes (ip);"
    "CREATE INDEX IF NOT EXISTS popauthd_changes_at"
    " ON popauthd_changes (at);"
    "CREATE INDEX IF NOT EXISTS popauthd_changes_expires"
    " ON popauthd_changes (expires);"
    "CREATE OR REPLACE FUNCTION popauthd_publish(p_node text,"
    " p_seq bigint[], p_kind text[], p_ip text[], p_left bigint[],"
    " p_age bigint[], p_reason text[]) RETURNS bigint"
    " LANGUAGE plpgsql AS $f$"
    " DECLARE n bigint;"
    " BEGIN"
    " PERFORM pg_advisory_xact_lock(2126002);"
    " INSERT INTO popauthd_changes"
    " (node, node_seq, kind, ip, expires, reason, at)"
    " SELECT p_node, u.s, u.k, u.i::inet,"
    " now() + make_interval(secs => u.l), u.r,"
    " now() - make_interval(secs => u.a)"
    " FROM unnest(p_seq, p_kind, p_ip, p_left, p_age, p_reason)"
    " AS u(s, k, i, l, a, r)"
    " ON CONFLICT (node, node_seq) DO NOTHING;"
    " GET DIAGNOSTICS n = ROW_COUNT;"
    " PERFORM pg_notify('popauthd', p_node);"
    " RETURN n;"
    " END $f$;"
    "CREATE OR REPLACE FUNCTION popauthd_inet(t text) RETURNS inet"
    " LANGUAGE plpgsql IMMUTABLE AS $f$"
    " BEGIN RETURN t::inet; EXCEPTION WHEN others THEN RETURN NULL; END"
    " $f$;"
    "CREATE OR REPLACE VIEW popauthd_relay AS"
    " SELECT g.ip, max(g.expires) AS expires FROM popauthd_changes g"
    " WHERE g.kind = 'grant' AND g.expires > now() AND NOT EXISTS"
    " (SELECT 1 FROM popauthd_changes r WHERE r.ip = g.ip"
    " AND r.kind = 'revoke' AND r.at >= g.at)"
    " GROUP BY g.ip;"
    "CREATE OR REPLACE VIEW popauthd_blacklist AS"
    " SELECT l.ip, l.node, l.kind, l.reason, l.expires"
    " FROM popauthd_changes l"
    " WHERE l.kind IN ('listing', 'ban') AND l.expires > now()"
    " AND NOT EXISTS (SELECT 1 FROM popauthd_changes d WHERE d.ip = l.ip"
    " AND d.at >= l.at AND (d.kind = 'delist'"
    " OR (l.kind = 'ban' AND d.kind = 'unban')));"
    "COMMIT;"
    "LISTEN popauthd;";

/* everything the schema makes is there (a role without CREATE may use it) */
const char clsql_check[] =
    "SELECT to_regclass('popauthd_changes') IS NOT NULL"
    " AND to_regclass('popauthd_relay') IS NOT NULL"
    " AND to_regclass('popauthd_blacklist') IS NOT NULL"
    " AND to_regprocedure('popauthd_inet(text)') IS NOT NULL"
    " AND to_regprocedure('popauthd_publish(text, bigint[], text[], text[],"
    " bigint[], bigint[], text[])') IS NOT NULL";

/* the schema is there: only listen */
const char clsql_listen[] = "SET client_min_messages = warning;"
                            "LISTEN popauthd;";

const char clsql_fetch[] =
    "SELECT id, node, kind, host(ip), masklen(ip),"
    " CASE WHEN expires IS NULL THEN NULL ELSE greatest(-1,"
    " floor(extract(epoch FROM expires - now())))::bigint END,"
    " greatest(0, floor(extract(epoch FROM now() - at)))::bigint,"
    " reason,"
    " greatest(0, extract(epoch FROM clock_timestamp() - at) * 1000)::bigint"
    " FROM popauthd_changes WHERE id > $1 ORDER BY id LIMIT 1000";

const char clsql_publish[] =
    "SELECT popauthd_publish($1, $2::bigint[], $3::text[], $4::text[],"
    " $5::bigint[], $6::bigint[], $7::text[])";

/*
 * rows whose change is over: expired ones at once (a node catching up has
 * no use for them; each login adds a row, so they are most rows), and
 * removals older than $1 seconds that no older row in force still needs
 */
const char clsql_prune[] =
    "DELETE FROM popauthd_changes c WHERE c.expires < now() OR"
    " (c.expires IS NULL AND c.at < now() - make_interval(secs => $1::bigint)"
    " AND NOT EXISTS (SELECT 1 FROM popauthd_changes o WHERE o.ip = c.ip"
    " AND o.at < c.at AND o.expires > now()))";
