import { ConfigError } from '@foyer/config';
import type { Logger } from './logger.ts';

type Stopper = () => Promise<void> | void;

/**
 * Runs a service's main: a config problem prints one line and exits 2; SIGINT/SIGTERM run the
 * registered stoppers in reverse order, so listeners close before the database does.
 */
export async function runService(
  name: string,
  start: (onStop: (s: Stopper) => void) => Promise<Logger>,
): Promise<void> {
  const stoppers: Stopper[] = [];
  let log: Logger | undefined;
  try {
    log = await start((s) => stoppers.push(s));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: config error: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `${name}: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    for (const s of stoppers.reverse()) await Promise.resolve(s()).catch(() => undefined);
    process.exit(1);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log?.info({ signal }, 'stopping');
    for (const s of stoppers.reverse()) {
      try {
        await s();
      } catch (err) {
        log?.error({ err }, 'error while stopping');
      }
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // One peer's bad input must never take the process down; log what slipped through instead.
  process.on('uncaughtException', (err) => log?.error({ err }, 'uncaught exception'));
  process.on('unhandledRejection', (err) => log?.error({ err }, 'unhandled rejection'));
}
