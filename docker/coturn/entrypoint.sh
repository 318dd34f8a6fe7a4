#!/bin/sh
# Starts coturn with the repo's turnserver.conf plus the lines that must not live in the repo
# (shared secret) or differ per host (realm, public address). The secret goes into a private
# file, not onto the command line where any process could read it.
set -eu

die() {
	echo "coturn entrypoint: $*" >&2
	exit 1
}

secret_file=${TURN_SHARED_SECRET_FILE:-/run/secrets/turn_shared_secret}
[ -r "$secret_file" ] || die "cannot read $secret_file (see docker/secrets/README.md)"
secret=$(cat "$secret_file")
[ "${#secret}" -ge 32 ] || die "$secret_file: expected a random secret of at least 32 characters"
[ -n "${FOYER_SERVER_NAME:-}" ] || die "FOYER_SERVER_NAME is not set (see docker/env.sample)"

conf=$(mktemp "${TMPDIR:-/tmp}/turnserver.XXXXXX")
{
	cat "${TURN_BASE_CONFIG:-/etc/coturn/turnserver.conf}"
	printf 'static-auth-secret=%s\nrealm=%s\n' "$secret" "$FOYER_SERVER_NAME"
	# Behind NAT (most cloud hosts) coturn must advertise the public address in relay candidates.
	if [ -n "${FOYER_PUBLIC_IP:-}" ]; then printf 'external-ip=%s\n' "$FOYER_PUBLIC_IP"; fi
} >"$conf"
chmod 600 "$conf"

exec turnserver -c "$conf" "$@"
