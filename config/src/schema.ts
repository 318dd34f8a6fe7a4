// The one deployment config (YAML). Every service validates the whole file at start, so a
// mistake anywhere is found before anything listens. Objects are strict: an unknown key is an
// error, not a silently ignored typo.
import { z } from 'zod';
import {
  DEFAULT_BOT_LOCALPART,
  LOCALPART_PATTERN,
  PUPPET_PREFIX,
  localpartOf,
  serverOf,
  userIdOf,
} from './matrix-namespace.ts';

const host = z.string().min(1).describe('an IP address or host name').default('127.0.0.1');
const port = z.number().int().min(1).max(65535);
const httpUrl = z
  .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
  .transform((u) => u.replace(/\/+$/, ''));
const wsUrl = z.url({ protocol: /^wss?$/, error: 'expected a ws(s) URL' });
/** Secrets are random strings; short ones are refused so a placeholder never reaches production. */
const secret = z
  .string({ error: 'required: a random secret of at least 32 characters' })
  .min(32, 'too short: a random secret of at least 32 characters');

const listener = z.strictObject({ bind: host, port });

/**
 * A key that was removed: written anyway, it fails with why and what to do instead, not with a
 * bare "unknown key" (a config from before the change should say what changed).
 */
const retired = (message: string) => z.never({ error: message }).optional();
const JANUS_RETIRED = 'Janus was retired; LiveKit is the media plane (docs/media.md)';

export const databaseSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('postgres'),
      url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// connection URL'),
      pool: z.strictObject({ min: z.number().int().min(0), max: z.number().int().min(1) }).default({ min: 0, max: 10 }),
    }),
    z.strictObject({
      kind: z.literal('pglite'),
      /** Folder of the embedded database; relative paths are resolved against the config file. */
      dataDir: z.string().min(1),
    }),
  ],
  { error: 'expected kind "postgres" (with url) or "pglite" (with dataDir)' },
);
export type DatabaseConfig = z.infer<typeof databaseSchema>;

/** "At most maxFailures in any windowSeconds." */
const windowLimit = z.strictObject({
  maxFailures: z.number().int().min(1),
  windowSeconds: z.number().int().min(1),
});

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info');

export const configSchema = z.strictObject({
  homeserver: z.strictObject({
    /** Client-server API base URL as our services reach it. */
    url: httpUrl,
    /** The URL browsers use, when it differs (reverse proxy). */
    publicUrl: httpUrl.optional(),
    serverName: z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'expected a Matrix server name such as example.org'),
  }),
  appservice: z.strictObject({
    /** Path to the generated registration file (relative to this config file). */
    registration: z.string().min(1),
    listen: listener,
    botLocalpart: z.string().regex(LOCALPART_PATTERN, 'expected a Matrix localpart').default(DEFAULT_BOT_LOCALPART),
  }),
  /** Shared by the bridge and the gateway for their internal HTTP API (bearer token). */
  internalApi: z.strictObject({ secret }),
  /**
   * The admin HTTP API (fixed conference rooms, /admin/v1/… on the bridge's listener) and
   * scripts/foyer-admin: its own bearer secret. Without this section the admin API is off.
   */
  adminApi: z.strictObject({ secret }).optional(),
  bridge: z.strictObject({
    database: databaseSchema,
    /** Internal API of the bridge (gateway → bridge), and its metrics. */
    listen: listener,
    /** Delete a group's room (purge) when its last human member leaves. */
    deleteEmptyGroups: z.boolean().default(true),
    /** Show callers' numbers masked (+49 991 •••• 166) in room display names. */
    maskCallerNumbers: z.boolean().default(true),
    /** Digits of a group's dial-in PIN (random, unique, no leading zero). */
    pinDigits: z.number().int().min(8).max(16).default(12),
    /** Longest guest chat message accepted, in characters. */
    maxMessageLength: z.number().int().min(1).max(60_000).default(4000),
    /** How the bridge reaches the gateway's internal API; default: from gateway.listen. */
    gatewayUrl: httpUrl.optional(),
    /**
     * The bridge asks the gateway's /health every intervalSeconds (each check given up after
     * min(2 s, interval)); after failuresBeforeDown checks in a row without an answer the gateway
     * counts as down and its conferences as over (idle, virtual users leave). So a crashed gateway
     * shows in the rooms within failuresBeforeDown × intervalSeconds + 2 s (12 s by default) plus
     * the homeserver's time to take the state events.
     */
    gatewayHealth: z
      .strictObject({
        intervalSeconds: z.number().min(0.2).max(60).default(5),
        failuresBeforeDown: z.number().int().min(1).max(20).default(2),
      })
      .default({ intervalSeconds: 5, failuresBeforeDown: 2 }),
    /** Fixed conference rooms: staff invited to every new room's Matrix room (plus each room's own). */
    fixedRooms: z
      .strictObject({
        invite: z
          .array(z.string().regex(/^@[^:\s]+:\S+$/, 'expected a Matrix user ID such as @anna:example.org'))
          .max(50)
          .default([]),
      })
      .default({ invite: [] }),
    logLevel,
  }),
  gateway: z.strictObject({
    database: databaseSchema,
    /** Browser conference WebSocket, internal API (bridge → gateway) and metrics. */
    listen: listener,
    /** The one number callers dial for every group, shown in org.foyer.conference. */
    dialInNumber: z.string().regex(/^\+?[0-9 ()/-]{3,32}$/, 'expected a phone number such as +49 991 1234 166'),
    /** How the gateway reaches the bridge's internal API; default: from bridge.listen. */
    bridgeUrl: httpUrl.optional(),
    sip: z.strictObject({
      bind: host,
      port,
      transports: z
        .array(z.enum(['udp', 'tcp']))
        .min(1)
        .default(['udp', 'tcp']),
      /** Address put into Contact/Via/SDP when it differs from bind (NAT). */
      publicAddress: z.string().min(1).optional(),
      /** SIP over TLS (port usually 5061), when configured. */
      tls: z.strictObject({ port, certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
      /** Bounds on TCP/TLS connections and on messages (all transports); docs/security.md. */
      limits: z
        .strictObject({
          /** Accepted TCP/TLS connections at once; beyond it new ones are closed (trunk addresses exempt). */
          maxConnections: z.number().int().min(1).max(100_000).default(500),
          /** Accepted TCP/TLS connections at once from one address (IPv6: one /64). */
          maxConnectionsPerSource: z.number().int().min(1).max(100_000).default(20),
          /** A connection that has sent no complete SIP message in this time is closed. */
          idleSeconds: z.number().min(1).max(3600).default(30),
          /** The same once it has sent one; a connection a live call uses stays while the call lasts. */
          idleSecondsAfterMessage: z.number().min(1).max(86_400).default(300),
          /** Header block and body together; beyond: dropped (UDP) or the connection closed. */
          maxMessageBytes: z.number().int().min(1024).max(65_535).default(32_768),
          /** Header lines per message; beyond: dropped (UDP) or the connection closed. */
          maxHeaders: z.number().int().min(10).max(1000).default(100),
        })
        .default({
          maxConnections: 500,
          maxConnectionsPerSource: 20,
          idleSeconds: 30,
          idleSecondsAfterMessage: 300,
          maxMessageBytes: 32_768,
          maxHeaders: 100,
        }),
    }),
    /** Who may send calls: by source address (IP or CIDR) and/or digest credentials. */
    trunks: z
      .array(
        z
          .strictObject({
            name: z.string().min(1),
            sourceAddresses: z.array(z.string().min(1)).default([]),
            username: z.string().min(1).optional(),
            password: z.string().min(12, 'too short: at least 12 characters').optional(),
          })
          .refine((t) => t.sourceAddresses.length > 0 || (t.username && t.password), {
            error: 'a trunk needs sourceAddresses, or username and password',
          }),
      )
      .min(1, 'at least one trunk is needed, or no call is accepted'),
    ivr: z.strictObject({
      language: z.enum(['de', 'en']).default('de'),
      /** Folder of prompts (8 kHz mu-law .ul files) made by scripts/prompts. */
      promptsDir: z.string().min(1),
      /** Hold music (8 kHz mu-law .ul); default: hold.ul in promptsDir. */
      holdMusic: z.string().min(1).optional(),
      /** Hang up when a caller types nothing for this long. */
      inputTimeoutSeconds: z.number().min(2).max(300).default(15),
      maxPinAttempts: z.number().int().min(1).max(10).default(3),
    }),
    /**
     * PIN guessing (docs/security.md): every entry counts from the moment # is pressed. Failures
     * per caller ID; per source address and per trunk, whose blocks (first `penalty.firstMinutes`,
     * doubling up to `penalty.maxHours`) hold back newcomers only; in total, beyond which
     * newcomers wait `pauseSeconds` before each check; calls in the PIN dialogue at once.
     */
    throttle: z
      .strictObject({
        perCaller: windowLimit.default({ maxFailures: 6, windowSeconds: 600 }),
        perSource: windowLimit.default({ maxFailures: 10, windowSeconds: 600 }),
        total: z
          .strictObject({ ...windowLimit.shape, pauseSeconds: z.number().min(0).max(60).default(8) })
          .default({ maxFailures: 100, windowSeconds: 60, pauseSeconds: 8 }),
        penalty: z
          .strictObject({
            firstMinutes: z.number().min(1).max(1440).default(10),
            maxHours: z.number().min(1).max(720).default(24),
          })
          .default({ firstMinutes: 10, maxHours: 24 }),
        lobby: z
          .strictObject({
            perSource: z.number().int().min(1).default(30),
            total: z.number().int().min(1).default(100),
          })
          .default({ perSource: 30, total: 100 }),
        /** How long a caller who entered a right PIN stays known (not held back by blocks). */
        knownCallerDays: z.number().int().min(0).max(3650).default(90),
      })
      .default({
        perCaller: { maxFailures: 6, windowSeconds: 600 },
        perSource: { maxFailures: 10, windowSeconds: 600 },
        total: { maxFailures: 100, windowSeconds: 60, pauseSeconds: 8 },
        penalty: { firstMinutes: 10, maxHours: 24 },
        lobby: { perSource: 30, total: 100 },
        knownCallerDays: 90,
      }),
    rtp: z
      .strictObject({
        portMin: port,
        portMax: port,
        /**
         * Address the relay's sockets bind to; default: sip.bind. The media agent (the gateway's
         * child process) meets the relay there, or on 127.0.0.1 when this is 0.0.0.0.
         */
        bind: z.string().min(1).optional(),
        janusAddress: retired(
          `${JANUS_RETIRED}; the media agent reaches the relay at rtp.bind (127.0.0.1 when that is 0.0.0.0): remove this key`,
        ),
        /** Hang up a call whose caller sent no RTP for this long (gone without a BYE). */
        timeoutSeconds: z.number().min(5).max(3600).default(60),
      })
      .refine((r) => r.portMin < r.portMax, 'portMin must be below portMax'),
    /** Federated partners in conferences. */
    federation: z
      .strictObject({
        /** Servers whose members count as moderators (like our own staff). */
        trustedServers: z.array(z.string().min(1)).default([]),
        /** Allow partner homeservers on private/loopback addresses: only for a local test stack. */
        allowPrivateAddresses: z.boolean().default(false),
        /** Extra CA certificate (PEM file) for partners' TLS, e.g. a test stack's own CA. */
        caFile: z.string().min(1).optional(),
      })
      .default({ trustedServers: [], allowPrivateAddresses: false }),
    /** The browser conference page. */
    conference: z
      .strictObject({
        /**
         * The conference WebSocket as browsers reach it (wss://…/ws/conference behind a TLS proxy);
         * default: the gateway's listener.
         */
        publicUrl: wsUrl.optional(),
        turn: retired(
          "pages get their TURN servers from LiveKit since Janus was retired (LiveKit's rtc.turn_servers, docs/media.md): remove this key",
        ),
        /** Licence: web guests connected at once, over all groups; beyond it guests are told so. */
        maxGuests: z.number().int().min(0).max(100_000).default(50),
        /**
         * Failed hellos (wrong guest links, refused OpenID tokens) per client address (IPv6: per
         * /64) in a sliding window, attempts being checked counted; beyond them that address waits.
         */
        maxLinkFailures: z.number().int().min(1).default(20),
        linkFailureWindowSeconds: z.number().int().min(1).default(600),
        /**
         * Reverse proxies whose X-Forwarded-For names the browser (IPs or CIDRs). Without them the
         * socket's peer address is the client: behind a proxy every browser would share one.
         */
        trustedProxies: z
          .array(
            z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'expected an IP address or CIDR such as 172.16.0.0/12'),
          )
          .max(64)
          .default([]),
      })
      .default({ maxGuests: 50, maxLinkFailures: 20, linkFailureWindowSeconds: 600, trustedProxies: [] }),
    media: retired(`${JANUS_RETIRED}, the only one: remove this section`),
    janus: retired(`${JANUS_RETIRED}; remove this section`),
    /**
     * LiveKit, the conferences' media plane (docs/media.md): browsers connect to the group's
     * LiveKit room with tokens the gateway mints once they are admitted; each caller is a
     * participant of that room through the media agent.
     */
    livekit: z.strictObject(
      {
        /** Signalling as the gateway and its media agent reach it (ws:// or wss://). */
        url: wsUrl,
        /** Signalling as browsers reach it (behind the TLS proxy: wss://); default: url. */
        publicUrl: wsUrl.optional(),
        apiKey: z.string().regex(/^[A-Za-z0-9_-]{3,64}$/, 'expected the API key: 3–64 letters, digits, _ or -'),
        apiSecret: secret,
        /** The media agent (sip-gateway/media-agent); default: .tools/bin/foyer-media-agent of this checkout. */
        agentBinary: z.string().min(1).optional(),
        /** UDP ports of the agent's sockets towards the relay; default: ports the OS picks. */
        agentPorts: z
          .strictObject({ portMin: port, portMax: port })
          .refine((r) => r.portMin < r.portMax, 'portMin must be below portMax')
          .optional(),
      },
      {
        error: (issue) =>
          issue.input === undefined
            ? 'required: LiveKit is the media plane (url, apiKey, apiSecret; docs/media.md)'
            : undefined,
      },
    ),
    logLevel,
  }),
  web: z.strictObject({
    listen: listener,
    /** Where people open the client and guest links (…/join/<token>). */
    publicUrl: httpUrl,
    logLevel,
  }),
});

export type FoyerConfig = z.infer<typeof configSchema>;

/**
 * Why a user cannot be invited as staff (a person on our own server), or undefined when they
 * can: a user of another server, or the bot or one of its virtual users (`@foyer_…`, the
 * appservice's exclusive namespace). The one invitee check: this config's fixed-room invitees
 * and the bridge's fixed rooms use it.
 */
export function staffInviteeProblem(
  userId: string,
  own: { serverName: string; botUserId: string },
): string | undefined {
  if (!userId.startsWith('@') || serverOf(userId) !== own.serverName) return `not a user of ${own.serverName}`;
  if (userId === own.botUserId || localpartOf(userId).startsWith(PUPPET_PREFIX))
    return 'the bot or one of its virtual users';
  return undefined;
}

/** Rules across sections, after the shape is right: "key: what is wrong". */
export function crossCheck(config: FoyerConfig): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const serverName = config.homeserver.serverName;
  const own = { serverName, botUserId: userIdOf(config.appservice.botLocalpart, serverName) };
  config.bridge.fixedRooms.invite.forEach((userId, i) => {
    const problem = staffInviteeProblem(userId, own);
    if (problem)
      problems.push({
        path: ['bridge', 'fixedRooms', 'invite', i],
        message: `${userId} is ${problem} (only staff can be invited)`,
      });
  });
  return problems;
}
/** The config as written (defaults may be left out). */
export type FoyerConfigInput = z.input<typeof configSchema>;
export type ListenConfig = z.infer<typeof listener>;

/** The appservice registration file that Synapse loads (generated, never hand-edited). */
export const registrationSchema = z.looseObject({
  id: z.string().min(1),
  url: httpUrl.nullable(),
  as_token: secret,
  hs_token: secret,
  sender_localpart: z.string().min(1),
  rate_limited: z.boolean().optional(),
  namespaces: z.looseObject({
    users: z.array(z.strictObject({ regex: z.string(), exclusive: z.boolean() })).default([]),
    aliases: z.array(z.strictObject({ regex: z.string(), exclusive: z.boolean() })).default([]),
    rooms: z.array(z.strictObject({ regex: z.string(), exclusive: z.boolean() })).default([]),
  }),
});
export type Registration = z.infer<typeof registrationSchema>;
