-- popauthd.sql - the tables popauthd's cluster nodes share (cluster_database).
--
-- popauthd creates all of this itself when it is missing (the same statements,
-- popauthd/cluster/cluster_pg.c), so running this file is optional: use it to
-- create the schema by hand, e.g. as a role that owns it, before popauthd runs
-- with a role that may only use it:
--
--     psql -d popauthd -f /usr/share/doc/popauthd/popauthd.sql
--
-- When everything below exists, popauthd creates nothing, so its role may be
-- one that cannot (test/integration/116-cluster-role.sh does this):
--
--     CREATE ROLE popauthd_node LOGIN;
--     GRANT SELECT, INSERT, DELETE ON popauthd_changes TO popauthd_node;
--     GRANT USAGE ON SEQUENCE popauthd_changes_id_seq TO popauthd_node;
--     CREATE ROLE popauthd_postfix LOGIN;   -- maps/pgsql-*.cf
--     GRANT SELECT ON popauthd_relay, popauthd_blacklist TO popauthd_postfix;
--
-- (functions are executable by PUBLIC unless revoked; LISTEN needs no right).

SET client_min_messages = warning;
BEGIN;
-- two nodes starting at once must not both create the table
SELECT pg_advisory_xact_lock(2126001);

-- The change log: append-only, every node writes its own decisions and reads
-- everyone else's, in id order, from the last id it applied (kept in its
-- local state).  Times are the database's: "expires" and "at" are computed
-- here with now() from durations the node sends, so nodes whose clocks
-- disagree still agree on when a grant ends.
CREATE TABLE IF NOT EXISTS popauthd_changes (
	id bigserial PRIMARY KEY,
	node text NOT NULL,      -- cluster_node of the deciding node
	node_seq bigint NOT NULL, -- its outbox sequence number: a change re-sent after a crash is stored once
	kind text NOT NULL CHECK (kind IN ('grant', 'revoke', 'listing',
		'delist', 'ban', 'unban')),
	ip inet NOT NULL,        -- a host, or an IPv6 /64 listed as one offender
	expires timestamptz,     -- grant, listing, ban: when it ends; else NULL
	reason text NOT NULL DEFAULT '', -- listing and ban: why (escaped); grant: by whom
	at timestamptz NOT NULL DEFAULT now(), -- when it was decided
	UNIQUE (node, node_seq));
CREATE INDEX IF NOT EXISTS popauthd_changes_ip ON popauthd_changes (ip);
CREATE INDEX IF NOT EXISTS popauthd_changes_at ON popauthd_changes (at);
CREATE INDEX IF NOT EXISTS popauthd_changes_expires ON popauthd_changes (expires);

-- popauthd_publish: one call stores a node's batch.  p_left is how long each
-- change still runs (NULL for revoke, delist, unban), p_age how long ago it
-- was decided (a change that waited in the outbox during an outage).  The
-- advisory lock makes ids commit in id order, so a reader catching up "after
-- the last id it applied" never skips a row that committed late.  Other nodes
-- hear of it through NOTIFY popauthd (the payload is the node's name).
CREATE OR REPLACE FUNCTION popauthd_publish(p_node text,
	p_seq bigint[], p_kind text[], p_ip text[], p_left bigint[],
	p_age bigint[], p_reason text[]) RETURNS bigint
	LANGUAGE plpgsql AS $f$
	DECLARE n bigint;
	BEGIN
	PERFORM pg_advisory_xact_lock(2126002);
	INSERT INTO popauthd_changes
	(node, node_seq, kind, ip, expires, reason, at)
	SELECT p_node, u.s, u.k, u.i::inet,
	now() + make_interval(secs => u.l), u.r,
	now() - make_interval(secs => u.a)
	FROM unnest(p_seq, p_kind, p_ip, p_left, p_age, p_reason)
	AS u(s, k, i, l, a, r)
	ON CONFLICT (node, node_seq) DO NOTHING;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM pg_notify('popauthd', p_node);
	RETURN n;
	END $f$;

-- popauthd_inet: the key Postfix looks up as an address, NULL when it is not
-- one (check_client_access also looks up host names and parent domains:
-- those must find nothing, not make the query fail)
CREATE OR REPLACE FUNCTION popauthd_inet(t text) RETURNS inet
	LANGUAGE plpgsql IMMUTABLE AS $f$
	BEGIN RETURN t::inet; EXCEPTION WHEN others THEN RETURN NULL; END
	$f$;

-- what holds now, for Postfix's pgsql: maps (maps/pgsql-*.cf): a grant not
-- expired and not revoked since; a listing or ban not expired and not
-- delisted (or, for a ban, unbanned) since
CREATE OR REPLACE VIEW popauthd_relay AS
	SELECT g.ip, max(g.expires) AS expires FROM popauthd_changes g
	WHERE g.kind = 'grant' AND g.expires > now() AND NOT EXISTS
	(SELECT 1 FROM popauthd_changes r WHERE r.ip = g.ip
	AND r.kind = 'revoke' AND r.at >= g.at)
	GROUP BY g.ip;
CREATE OR REPLACE VIEW popauthd_blacklist AS
	SELECT l.ip, l.node, l.kind, l.reason, l.expires
	FROM popauthd_changes l
	WHERE l.kind IN ('listing', 'ban') AND l.expires > now()
	AND NOT EXISTS (SELECT 1 FROM popauthd_changes d WHERE d.ip = l.ip
	AND d.at >= l.at AND (d.kind = 'delist'
	OR (l.kind = 'ban' AND d.kind = 'unban')));
COMMIT;

-- Pruning (each node, every 10 minutes, or every cluster_retention when that
-- is shorter): rows whose change is over.  Expired grants, listings and bans
-- go at once (every login adds a row: they are most of the table); revokes,
-- delistings and unbans go cluster_retention (default 7d) after they were
-- made, once no older row still in force needs them.  A node that was down
-- longer catches up from what is left, which is everything still in force.
