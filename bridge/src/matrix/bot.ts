// The bridge's voice in Matrix: client-server calls as the bot, authenticated with the
// appservice token. matrix-js-sdk gives us typed calls and Matrix error objects.
import { createClient, type MatrixClient } from 'matrix-js-sdk';
import type { Logger as SdkLogger } from 'matrix-js-sdk/lib/logger.js';
import type { Logger } from '@foyer/common';

export interface BotOptions {
  homeserverUrl: string;
  asToken: string;
  userId: string;
  log: Logger;
}

/** The SDK is chatty on the console; keep its warnings and errors, in our log format. */
function sdkLogger(log: Logger): SdkLogger {
  const text = (msg: unknown[]) => msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' ');
  const quiet = () => undefined;
  const logger: SdkLogger = {
    trace: quiet,
    debug: quiet,
    info: quiet,
    warn: (...msg: unknown[]) => log.warn({ sdk: text(msg) }, 'matrix-js-sdk warning'),
    error: (...msg: unknown[]) => log.error({ sdk: text(msg) }, 'matrix-js-sdk error'),
    getChild: () => logger,
  };
  return logger;
}

export function createBotClient(o: BotOptions): MatrixClient {
  return createClient({
    baseUrl: o.homeserverUrl,
    accessToken: o.asToken,
    userId: o.userId,
    localTimeoutMs: 30_000,
    logger: sdkLogger(o.log),
  });
}
