#!/usr/bin/env bash
# Prepares the compose deployment (see docker/README.md):
#  1. creates the missing secrets in docker/secrets/,
#  2. renders docker/templates/foyer.yaml to docker/foyer/foyer.yaml and
#     docker/templates/synapse.yaml to docker/synapse/foyer.yaml, filling each @@NAME@@ from a
#     secret file (docker/secrets/<name>) or a setting (environment, else .env),
#  3. sets owners and modes so that each container can read what it mounts and nobody else can.
# Never overwrites an existing secret or rendered file, so it is safe to re-run. Run it as root
# (sudo) for step 3: the folders' groups become the container users' (node 1000, Synapse 991).
set -euo pipefail

docker_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$docker_dir")
env_file=${FOYER_ENV_FILE:-$root/.env}
secrets_dir=$docker_dir/secrets
foyer_dir=$docker_dir/foyer
synapse_dir=$docker_dir/synapse
registration=$foyer_dir/registration/foyer-registration.yaml

die() {
	echo "setup: $*" >&2
	exit 1
}

[[ -f $registration ]] || die "no appservice registration yet; create it first:
  npm run registration -- --url http://bridge:9000 --out docker/foyer/registration/foyer-registration.yaml"

# .env is parsed, not sourced: compose allows unquoted values with spaces (the dial-in number).
declare -A from_env_file=()
if [[ -f $env_file ]]; then
	while IFS= read -r line || [[ -n $line ]]; do
		[[ $line =~ ^[[:space:]]*([A-Z][A-Z0-9_]*)=(.*)$ ]] || continue
		key=${BASH_REMATCH[1]}
		value=${BASH_REMATCH[2]%"${BASH_REMATCH[2]##*[![:space:]]}"}
		if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
		from_env_file[$key]=$value
	done <"$env_file"
fi

# 1. Secrets. Database passwords are hex because they go into postgres:// URLs unescaped.
mkdir -p "$secrets_dir"
new_secret() {
	local file=$secrets_dir/$1
	if [[ ! -s $file ]]; then
		(umask 077 && openssl rand "${@:2}" >"$file")
		echo "created docker/secrets/$1"
	fi
}
new_secret postgres_password -hex 32
new_secret synapse_db_password -hex 32
new_secret foyer_db_password -hex 32
new_secret turn_shared_secret -base64 33
# LiveKit: the API secret (key "foyer") that signs access tokens, and its Redis's password.
new_secret livekit_api_secret -hex 32
new_secret livekit_redis_password -hex 32

# 2. Configs.
value_of() {
	local name=$1 file=$secrets_dir/${1,,} value
	if [[ $name == INTERNAL_API_SECRET || $name == ADMIN_API_SECRET ]]; then
		# Only foyer.yaml holds them (bridge <-> gateway, foyer-admin -> bridge), so they are born there.
		value=$(openssl rand -base64 33)
	elif [[ -f $file ]]; then
		value=$(<"$file")
	else
		value=${!name:-${from_env_file[$name]:-}}
		[[ -n $value ]] || die "$name is not set (in .env; see docker/env.sample)"
	fi
	# Values go into single-quoted YAML strings.
	[[ $value != *"'"* && $value != *$'\n'* ]] || die "$name must not contain quotes or line breaks"
	printf '%s' "$value"
}
render() {
	local template=$1 out=$2 text name value
	if [[ -e $out ]]; then
		echo "kept ${out#"$root"/} (exists)"
		return
	fi
	text=$(<"$template")
	for name in $(grep -o '@@[A-Z_]*@@' "$template" | tr -d @ | sort -u); do
		value=$(value_of "$name")
		text=${text//"@@$name@@"/"$value"}
	done
	(umask 077 && printf '%s\n' "$text" >"$out")
	echo "rendered ${out#"$root"/}"
}
mkdir -p "$foyer_dir" "$synapse_dir"
render "$docker_dir/templates/foyer.yaml" "$foyer_dir/foyer.yaml"
render "$docker_dir/templates/synapse.yaml" "$synapse_dir/foyer.yaml"

# 3. Modes. Compose mounts secret files as they are, so they are world-readable inside a
# directory nobody else may enter. The two config folders are mounted whole.
chmod 0700 "$secrets_dir"
chmod 0644 "$secrets_dir"/*_password "$secrets_dir"/turn_shared_secret "$secrets_dir"/livekit_api_secret
chmod 0750 "$foyer_dir" "$synapse_dir"
chmod 0640 "$foyer_dir/foyer.yaml" "$synapse_dir/foyer.yaml"
chmod 0755 "$foyer_dir/registration"
chmod 0644 "$registration"
if [[ $(id -u) == 0 ]]; then
	chgrp 1000 "$foyer_dir" "$foyer_dir/foyer.yaml"
	chgrp 991 "$synapse_dir" "$synapse_dir/foyer.yaml"
else
	echo "setup: not root, so groups are unchanged; the containers can read the configs only after:" >&2
	echo "  sudo $0" >&2
fi
