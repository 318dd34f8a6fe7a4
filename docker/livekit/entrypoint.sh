#!/bin/sh
# Starts livekit-server with the repo's livekit.yaml plus what must not live in the repo (API
# secret, Redis password) or differs per host (public address, TURN host). Secrets go into
# private files (LiveKit refuses a key file others can read), never onto the command line.
set -eu

die() {
	echo "livekit entrypoint: $*" >&2
	exit 1
}

read_secret() {
	[ -r "$1" ] || die "cannot read $1 (see docker/secrets/README.md)"
	value=$(cat "$1")
	[ "${#value}" -ge 32 ] || die "$1: expected a random secret of at least 32 characters"
	printf '%s' "$value"
}

api_secret=$(read_secret "${LIVEKIT_API_SECRET_FILE:-/run/secrets/livekit_api_secret}")
redis_password=$(read_secret "${LIVEKIT_REDIS_PASSWORD_FILE:-/run/secrets/livekit_redis_password}")
turn_secret_file=${TURN_SHARED_SECRET_FILE:-/run/secrets/turn_shared_secret}
[ -r "$turn_secret_file" ] || die "cannot read $turn_secret_file (see docker/secrets/README.md)"
[ -n "${FOYER_PUBLIC_IP:-}" ] || die "FOYER_PUBLIC_IP is not set (see docker/env.sample)"
[ -n "${FOYER_TURN_HOST:-}" ] || die "FOYER_TURN_HOST is not set (see docker/env.sample)"

dir=$(mktemp -d "${TMPDIR:-/tmp}/livekit.XXXXXX")
umask 077
printf '%s: %s\n' "${LIVEKIT_API_KEY:-foyer}" "$api_secret" >"$dir/keys.yaml"
# compose mounts the TURN secret world-readable (coturn runs as nobody); LiveKit wants it private.
cp "$turn_secret_file" "$dir/turn_secret"
{
	cat "${LIVEKIT_BASE_CONFIG:-/etc/livekit/livekit.yaml}"
	# The base config ends with the rtc section: these lines continue it.
	printf '  node_ip: %s\n  turn_servers:\n' "$FOYER_PUBLIC_IP"
	for protocol in udp tcp; do
		printf '    - host: %s\n      port: 3478\n      protocol: %s\n      secret_file: %s\n' \
			"$FOYER_TURN_HOST" "$protocol" "$dir/turn_secret"
	done
	printf 'key_file: %s\n' "$dir/keys.yaml"
	printf 'redis:\n  address: %s\n  password: "%s"\n' "${LIVEKIT_REDIS_ADDRESS:-redis:6379}" "$redis_password"
} >"$dir/livekit.yaml"

exec "${LIVEKIT_BIN:-/livekit-server}" --config "$dir/livekit.yaml" "$@"
