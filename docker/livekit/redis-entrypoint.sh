#!/bin/sh
# Redis for the LiveKit nodes: a password from the secret (in a private config file, not on the
# command line), no persistence (LiveKit keeps only routing state there, rebuilt by the nodes).
set -eu
secret_file=${LIVEKIT_REDIS_PASSWORD_FILE:-/run/secrets/livekit_redis_password}
[ -r "$secret_file" ] || {
	echo "redis entrypoint: cannot read $secret_file (see docker/secrets/README.md)" >&2
	exit 1
}
conf=$(mktemp "${TMPDIR:-/tmp}/redis.XXXXXX")
printf 'requirepass %s\nsave ""\nappendonly no\nprotected-mode no\n' "$(cat "$secret_file")" >"$conf"
chown redis:redis "$conf" 2>/dev/null || true
chmod 600 "$conf"
# The image's own entrypoint drops to the redis user.
exec docker-entrypoint.sh redis-server "$conf" "$@"
