#!/bin/sh
# Renders the Janus config templates with the secrets read at start (compose secrets), then
# runs Janus in the foreground. Extra arguments are passed on to janus.
set -eu

template_dir=${JANUS_TEMPLATE_DIR:-/etc/foyer-janus}
config_dir=${JANUS_CONFIG_DIR:-/var/lib/foyer-janus/config}
lib_dir=${JANUS_LIB_DIR:-/usr/local/lib/foyer-janus}

die() {
	echo "janus entrypoint: $*" >&2
	exit 1
}

# A secret from the file named by $<NAME>_FILE, else from $<NAME>. Restricted to base64(url)
# characters so it can go into a quoted jcfg string and a sed replacement unescaped.
read_secret() {
	eval "file=\${${1}_FILE:-}"
	eval "value=\${${1}:-}"
	if [ -n "$file" ]; then
		[ -r "$file" ] || die "${1}_FILE: cannot read $file"
		value=$(cat "$file")
	fi
	[ "${#value}" -ge 32 ] || die "$1: expected a random secret of at least 32 characters (see docker/secrets/README.md)"
	case $value in
	*[!A-Za-z0-9+/=_-]*) die "$1: only base64 characters are allowed (openssl rand -base64 33)" ;;
	esac
	printf '%s' "$value"
}

api_secret=$(read_secret JANUS_API_SECRET)
admin_key=$(read_secret JANUS_ADMIN_KEY)
public_ip=${FOYER_PUBLIC_IP:-}
case $public_ip in
'' | *[!0-9A-Fa-f.:]*) die "FOYER_PUBLIC_IP: expected the IP address clients reach this host at (set it in .env)" ;;
esac

umask 077
mkdir -p "$config_dir"
for template in "$template_dir"/*.jcfg; do
	sed -e "s|@API_SECRET@|$api_secret|g" \
		-e "s|@ADMIN_KEY@|$admin_key|g" \
		-e "s|@PUBLIC_IP@|$public_ip|g" \
		-e "s|@LIB_DIR@|$lib_dir|g" \
		"$template" >"$config_dir/${template##*/}"
done

exec janus --configs-folder="$config_dir" "$@"
