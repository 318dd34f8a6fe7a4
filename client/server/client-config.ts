import { listenerUrl, type FoyerConfig } from '@foyer/config';
import { botUserIdOf } from '@foyer/common/matrix-ids';

/**
 * What the browser app learns about the deployment, served as /config.json. Built field by
 * field from an allow-list so a secret can never leak by adding a key to the config.
 */
export interface ClientConfig {
  /** The homeserver as browsers reach it (may differ from the URL our services use). */
  homeserverUrl: string;
  serverName: string;
  /** The bridge's bot: a group is a room it has joined, and the client invites it to new groups. */
  botUserId: string;
  webUrl: string;
  /** The gateway's conference WebSocket. */
  conferenceUrl: string;
}

/** Where pages connect for media besides the gateway: LiveKit's signalling as browsers reach it (for the CSP). */
export function mediaUrlFrom(config: FoyerConfig): string {
  return config.gateway.livekit.publicUrl ?? config.gateway.livekit.url;
}

export function clientConfigFrom(config: FoyerConfig): ClientConfig {
  return {
    homeserverUrl: config.homeserver.publicUrl ?? config.homeserver.url,
    serverName: config.homeserver.serverName,
    botUserId: botUserIdOf(config.appservice.botLocalpart, config.homeserver.serverName),
    webUrl: config.web.publicUrl,
    conferenceUrl:
      config.gateway.conference.publicUrl ??
      `${listenerUrl(config.gateway.listen).replace(/^http/, 'ws')}/ws/conference`,
  };
}
