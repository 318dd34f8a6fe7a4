#!/bin/bash
# Runs once, when the postgres image initialises an empty data volume (as the postgres user,
# with POSTGRES_USER as superuser). Creates one login role per application, so neither Synapse
# nor Foyer connects as superuser, and the three databases they own. Passwords come from the
# compose secrets and reach the server as psql variables, never through the shell or argv.
set -euo pipefail

secret() {
	local value
	value=$(cat "${SECRETS_DIR:-/run/secrets}/$1")
	if [[ ${#value} -lt 32 ]]; then
		echo "init-databases: /run/secrets/$1 must hold a random secret of at least 32 characters" >&2
		return 1
	fi
	printf '%s' "$value"
}

synapse_password=$(secret synapse_db_password)
foyer_password=$(secret foyer_db_password)

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
	-v synapse_password="$synapse_password" -v foyer_password="$foyer_password" <<'SQL'
CREATE ROLE synapse LOGIN PASSWORD :'synapse_password';
CREATE ROLE foyer LOGIN PASSWORD :'foyer_password';
-- Synapse refuses a database whose collation is not C (sorting must match its expectations).
CREATE DATABASE synapse OWNER synapse ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
CREATE DATABASE foyer_bridge OWNER foyer ENCODING 'UTF8';
CREATE DATABASE foyer_gateway OWNER foyer ENCODING 'UTF8';
-- Since PostgreSQL 15 only the owner may create in schema public; keep everyone else out entirely.
REVOKE ALL ON DATABASE synapse, foyer_bridge, foyer_gateway FROM PUBLIC;
SQL
