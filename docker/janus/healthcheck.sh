#!/bin/bash
# Healthy when the WebSocket transport completes an upgrade handshake (HTTP 101) for the
# janus-protocol subprotocol: a listening socket alone would not prove the transport is up.
set -eu
port=${1:-8188}
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: Zm95ZXItaGVhbHRoY2hlY2s=\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: janus-protocol\r\n\r\n' "$port" >&3
IFS= read -r -t 5 status <&3
[[ $status == "HTTP/1.1 101"* ]]
