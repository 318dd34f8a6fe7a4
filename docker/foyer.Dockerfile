# syntax=docker/dockerfile:1
# Foyer's three Node services from one recipe: one dependency install, one client build, then a
# final stage per service (docker-compose.yml picks it with `target:`). Build context: the
# repository root, because the services import the workspace packages common/ and config/.
# Node runs the TypeScript sources directly (type stripping): there is no compile step.

FROM node:24-bookworm-slim AS manifests
WORKDIR /src
COPY . .
# Keep only what npm ci reads, so the install layer below is rebuilt when a manifest, the lock
# or a patch changes, not on every source edit.
RUN mkdir /out \
 && find . -name node_modules -prune -o -name package.json -print | xargs cp --parents -t /out \
 && cp package-lock.json /out/ \
 && if [ -d patches ]; then cp -r patches /out/; fi

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY --from=manifests /out/ ./
# The full install runs the root postinstall (patch-package) and has Vite for the client build;
# pruning afterwards keeps the patched production packages and drops the dev tooling.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN npm run build --workspace client \
 && npm prune --omit=dev --no-audit --no-fund

# The IVR prompts and hold music, spoken by espeak-ng and encoded by sox.
FROM debian:12-slim AS prompts
RUN apt-get update && apt-get install -y --no-install-recommends espeak-ng sox && rm -rf /var/lib/apt/lists/*
COPY scripts/prompts /usr/local/bin/foyer-prompts
RUN foyer-prompts /prompts

# The gateway's media agent (sip-gateway/media-agent: Go, libopus through cgo), for callers on
# LiveKit (gateway.media.callers: livekit). Its modules come from the Go module proxy.
FROM golang:1.26-bookworm AS media-agent
RUN apt-get update && apt-get install -y --no-install-recommends libopus-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY sip-gateway/media-agent/ ./
RUN --mount=type=cache,target=/go/pkg/mod CGO_ENABLED=1 go build -tags nolibopusfile -o /foyer-media-agent .

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json ./
COPY common/ common/
COPY config/ config/

FROM runtime AS bridge
COPY bridge/ bridge/
# The admin command line for fixed conference rooms, run next to the bridge it talks to:
#   docker compose exec bridge foyer-admin rooms list
COPY scripts/lib/admin/ scripts/lib/admin/
RUN printf '#!/bin/sh\nexec node /app/scripts/lib/admin/main.ts "$@"\n' > /usr/local/bin/foyer-admin \
  && chmod 755 /usr/local/bin/foyer-admin
ENV FOYER_CONFIG=/etc/foyer/foyer.yaml
# Files stay root-owned: the service can read its code but not change it.
USER node
# 9000: appservice (Synapse -> bridge); 9001: internal API, /health, /metrics.
EXPOSE 9000 9001
CMD ["node", "bridge/src/main.ts", "--config", "/etc/foyer/foyer.yaml"]

FROM runtime AS sip-gateway
RUN apt-get update && apt-get install -y --no-install-recommends libopus0 && rm -rf /var/lib/apt/lists/*
COPY --from=media-agent /foyer-media-agent /usr/local/bin/foyer-media-agent
COPY sip-gateway/ sip-gateway/
COPY --from=prompts /prompts /app/prompts
USER node
# SIP, browser WebSocket + internal API (9002), RTP relay; see docker-compose.yml.
EXPOSE 5060/udp 5060/tcp 9002 40000-40199/udp
CMD ["node", "sip-gateway/src/main.ts", "--config", "/etc/foyer/foyer.yaml"]

FROM runtime AS client
COPY client/package.json client/
COPY client/server/ client/server/
COPY --from=build /app/client/dist/ client/dist/
USER node
EXPOSE 8080
CMD ["node", "client/server/main.ts", "--config", "/etc/foyer/foyer.yaml"]
