// scripts/foyer-admin's command line: parsed with node:util parseArgs and turned into admin API
// requests. Pure, so it is unit-tested without a bridge.
import { parseArgs } from 'node:util';

/** A mistake on the command line or in the config: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `usage: scripts/foyer-admin rooms <command> [options]

commands:
  list                                  all fixed conference rooms
  show <id|extension>                   one room
  create --name NAME --extension EXT    a new room; its PIN is generated and shown once
  update <id|extension> [options]       change a room; a new PIN is shown once
  delete <id|extension> --yes           delete the room, its extension and its Matrix room
  repair <id|extension> [--invite U]    a new Matrix room when the old one was deleted outside
                                        Foyer (extension, PINs and settings stay)

room options (create and update):
  --name NAME                 --extension EXT (digits, e.g. 4711 or "+49 991 1234 4711")
  --pin DIGITS | --new-pin | --no-pin          (create: generated unless given; --no-pin: none)
  --moderator-pin DIGITS | --new-moderator-pin | --no-moderator-pin
  --announce | --no-announce                   ask callers for their name and announce them
  --hold-music | --no-hold-music               hold music while alone (default on)
  --hold-music-file FILE | --default-hold-music   a file in the gateway's prompts folder
  --max-participants N | --no-max-participants
  --start-muted | --no-start-muted
  --invite @user:server       staff to invite to the Matrix room (repeatable)

general options:
  --config FILE   the deployment config (default: FOYER_CONFIG, else .stack/foyer.yaml)
  --url URL       the bridge's listener, when it differs from bridge.listen
  --json          machine-readable output
  -h, --help`;

const OPTIONS = {
  config: { type: 'string' },
  url: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  yes: { type: 'boolean' },
  name: { type: 'string' },
  extension: { type: 'string' },
  pin: { type: 'string' },
  'new-pin': { type: 'boolean' },
  'no-pin': { type: 'boolean' },
  'moderator-pin': { type: 'string' },
  'new-moderator-pin': { type: 'boolean' },
  'no-moderator-pin': { type: 'boolean' },
  announce: { type: 'boolean' },
  'no-announce': { type: 'boolean' },
  'hold-music': { type: 'boolean' },
  'no-hold-music': { type: 'boolean' },
  'hold-music-file': { type: 'string' },
  'default-hold-music': { type: 'boolean' },
  'max-participants': { type: 'string' },
  'no-max-participants': { type: 'boolean' },
  'start-muted': { type: 'boolean' },
  'no-start-muted': { type: 'boolean' },
  invite: { type: 'string', multiple: true },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export type Command =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'show'; ref: string }
  | { kind: 'create'; body: Record<string, unknown> }
  | { kind: 'update'; ref: string; body: Record<string, unknown> }
  | { kind: 'delete'; ref: string }
  | { kind: 'repair'; ref: string; body: Record<string, unknown> };

export interface ParsedCommandLine {
  command: Command;
  config?: string;
  url?: string;
  json: boolean;
}

function oneOf(v: Values, names: (keyof Values)[]): void {
  const given = names.filter((n) => v[n] !== undefined && v[n] !== false);
  if (given.length > 1) throw new UsageError(`${given.map((g) => `--${String(g)}`).join(' and ')} exclude each other`);
}

/** The room fields of the command line as an admin API body (only what was given). */
function roomBody(v: Values, create: boolean): Record<string, unknown> {
  oneOf(v, ['pin', 'new-pin', 'no-pin']);
  oneOf(v, ['moderator-pin', 'new-moderator-pin', 'no-moderator-pin']);
  oneOf(v, ['announce', 'no-announce']);
  oneOf(v, ['hold-music', 'no-hold-music']);
  oneOf(v, ['hold-music-file', 'default-hold-music']);
  oneOf(v, ['max-participants', 'no-max-participants']);
  oneOf(v, ['start-muted', 'no-start-muted']);
  const b: Record<string, unknown> = {};
  if (v.name !== undefined) b.name = v.name;
  if (v.extension !== undefined) b.extension = v.extension;
  if (v.pin !== undefined) b.pin = v.pin;
  if (v['no-pin']) b.pin = null;
  if (v['new-pin']) {
    if (create) throw new UsageError('--new-pin is for update (create generates a PIN unless --pin or --no-pin)');
    b.newPin = true;
  }
  if (v['moderator-pin'] !== undefined) b.moderatorPin = v['moderator-pin'];
  if (v['no-moderator-pin']) b.moderatorPin = null;
  if (v['new-moderator-pin']) b.newModeratorPin = true;
  if (v.announce) b.announce = true;
  if (v['no-announce']) b.announce = false;
  const hold: Record<string, unknown> = {};
  if (v['hold-music']) hold.enabled = true;
  if (v['no-hold-music']) hold.enabled = false;
  if (v['hold-music-file'] !== undefined) hold.file = v['hold-music-file'];
  if (v['default-hold-music']) hold.file = null;
  if (Object.keys(hold).length) b.holdMusic = hold;
  if (v['max-participants'] !== undefined) {
    const n = Number(v['max-participants']);
    if (!/^\d+$/.test(v['max-participants']) || !Number.isSafeInteger(n))
      throw new UsageError(`--max-participants: expected a whole number, not "${v['max-participants']}"`);
    b.maxParticipants = n;
  }
  if (v['no-max-participants']) b.maxParticipants = null;
  if (v['start-muted']) b.startMuted = true;
  if (v['no-start-muted']) b.startMuted = false;
  if (v.invite?.length) b.invite = v.invite;
  return b;
}

const ROOM_OPTIONS = Object.keys(OPTIONS).filter((k) => !['config', 'url', 'json', 'help', 'yes'].includes(k));

export function parseCommandLine(argv: string[]): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0] ?? 'invalid arguments');
  }
  const v = parsed.values;
  const [group, cmd, ref, ...extra] = parsed.positionals;
  const base = { config: v.config, url: v.url, json: v.json ?? false };
  if (v.help || group === 'help') return { ...base, command: { kind: 'help' } };
  if (group === undefined) throw new UsageError('missing command: rooms list|show|create|update|delete|repair');
  if (group !== 'rooms') throw new UsageError(`unknown command "${group}" (try: rooms list)`);
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const roomOptionsGiven = ROOM_OPTIONS.filter((k) => v[k as keyof Values] !== undefined);
  const noRoomOptions = (what: string) => {
    if (roomOptionsGiven.length) throw new UsageError(`--${roomOptionsGiven[0]} does not apply to "rooms ${what}"`);
  };
  const needRef = (what: string) => {
    if (!ref) throw new UsageError(`"rooms ${what}" needs the room's ID or extension`);
    return ref;
  };
  switch (cmd) {
    case 'list':
      if (ref) throw new UsageError(`unexpected argument "${ref}"`);
      noRoomOptions('list');
      return { ...base, command: { kind: 'list' } };
    case 'show':
      noRoomOptions('show');
      return { ...base, command: { kind: 'show', ref: needRef('show') } };
    case 'delete':
      noRoomOptions('delete');
      if (!v.yes)
        throw new UsageError('"rooms delete" removes the room and purges its Matrix room: confirm with --yes');
      return { ...base, command: { kind: 'delete', ref: needRef('delete') } };
    case 'repair': {
      const other = roomOptionsGiven.find((k) => k !== 'invite');
      if (other) throw new UsageError(`--${other} does not apply to "rooms repair" (only --invite)`);
      return {
        ...base,
        command: { kind: 'repair', ref: needRef('repair'), body: v.invite?.length ? { invite: v.invite } : {} },
      };
    }
    case 'create': {
      if (ref) throw new UsageError(`unexpected argument "${ref}" (use --name and --extension)`);
      if (!v.name) throw new UsageError('"rooms create" needs --name');
      if (!v.extension) throw new UsageError('"rooms create" needs --extension');
      return { ...base, command: { kind: 'create', body: roomBody(v, true) } };
    }
    case 'update': {
      const r = needRef('update');
      const body = roomBody(v, false);
      if (!Object.keys(body).length) throw new UsageError('"rooms update" needs something to change (see --help)');
      return { ...base, command: { kind: 'update', ref: r, body } };
    }
    case undefined:
      throw new UsageError('"rooms" needs a command: list, show, create, update, delete or repair');
    default:
      throw new UsageError(`unknown command "rooms ${cmd}" (list, show, create, update, delete or repair)`);
  }
}
