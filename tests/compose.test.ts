// The production compose deployment (docker-compose.yml, the Dockerfiles, docker/), checked
// without a Docker engine: none runs where these tests do. Structural checks on the parsed
// file, cross-checks between the compose file and the configs it mounts, and a dry run of
// docker/setup.sh. If a Compose v2 CLI is installed, `docker compose config -q` validates the
// file against the Compose spec too; without one, the structural checks are all there is.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LIVEKIT_WEBHOOK_PATH } from '@foyer/common/livekit';
import { loadConfig, parseConfig } from '../config/src/load.ts';

const ROOT = resolve(import.meta.dirname, '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);
const dict = (v: unknown): Dict => (isDict(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const compose = dict(parse(read('docker-compose.yml')));
const services = dict(compose.services);
const service = (name: string): Dict => dict(services[name]);
const FOYER_SERVICES = { bridge: 'bridge', 'sip-gateway': 'sip-gateway', client: 'client' } as const;

/** `${NAME:-default}` and `${NAME-default}` become the default, `${NAME}` becomes '': the file
 * must be safe as shipped, whatever the operator's .env says. */
function interpolate(s: string): string {
  return s.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}/g, (_m, def: string | undefined) => def ?? '');
}

// ---------------------------------------------------------------------------------------------
// Dockerfiles

interface Instruction {
  op: string;
  args: string;
}

/** Instructions with continuation lines joined and comments dropped. */
function dockerfile(path: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (pending && line.startsWith('#')) continue;
    pending += (pending ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const m = /^(\w+)\s+(.*)$/s.exec(pending);
    if (m) out.push({ op: m[1]!.toUpperCase(), args: m[2]! });
    pending = '';
  }
  return out;
}

/** The instructions of one stage (`FROM … AS name`), up to the next FROM. */
function stage(steps: Instruction[], name: string): Instruction[] {
  const start = steps.findIndex((i) => i.op === 'FROM' && new RegExp(`\\bAS\\s+${name}$`, 'i').test(i.args));
  if (start < 0) return [];
  const end = steps.findIndex((i, n) => n > start && i.op === 'FROM');
  return steps.slice(start, end < 0 ? undefined : end);
}

const FOYER_DOCKERFILE = join(ROOT, 'docker', 'foyer.Dockerfile');

/** Sources of a COPY/ADD without --from, in exec or shell form. */
function copySources(args: string): string[] {
  const words = args.split(/\s+/).filter((w) => !w.startsWith('--'));
  if (args.includes('--from=')) return [];
  const parts = args.trim().endsWith(']') ? (JSON.parse(args.slice(args.indexOf('['))) as string[]) : words;
  return parts.slice(0, -1);
}

interface Build {
  service: string;
  context: string;
  dockerfile: string;
  target?: string;
}

const builds: Build[] = Object.entries(services).flatMap(([name, s]) => {
  const b = dict(s).build;
  if (b === undefined) return [];
  const context = typeof b === 'string' ? b : String(dict(b).context ?? '.');
  const file = typeof b === 'string' ? 'Dockerfile' : String(dict(b).dockerfile ?? 'Dockerfile');
  const target = typeof b === 'string' ? undefined : (dict(b).target as string | undefined);
  return [{ service: name, context: resolve(ROOT, context), dockerfile: resolve(ROOT, context, file), target }];
});

// ---------------------------------------------------------------------------------------------
// Published ports

interface Published {
  service: string;
  hostIp: string;
  hostPorts: [number, number];
  target: [number, number];
  protocol: string;
}

function range(s: string): [number, number] {
  const [a, b] = s.split('-');
  return [Number(a), Number(b ?? a)];
}

function publishedPorts(name: string): Published[] {
  return list(service(name).ports).map((p) => {
    if (isDict(p)) {
      return {
        service: name,
        hostIp: String(p.host_ip ?? '0.0.0.0'),
        hostPorts: range(String(p.published ?? p.target)),
        target: range(String(p.target)),
        protocol: String(p.protocol ?? 'tcp'),
      };
    }
    const [spec = '', protocol = 'tcp'] = interpolate(String(p)).split('/');
    const parts = spec.split(':');
    const target = parts.pop() ?? '';
    const host = parts.pop() ?? target;
    return {
      service: name,
      hostIp: parts.join(':') || '0.0.0.0',
      hostPorts: range(host),
      target: range(target),
      protocol,
    };
  });
}

const allPublished = Object.keys(services).flatMap(publishedPorts);
const isLoopback = (ip: string) => ip === 'localhost' || ip.startsWith('127.') || ip === '::1' || ip === '[::1]';

// ---------------------------------------------------------------------------------------------
// The compose-flavoured Foyer config, rendered with stand-in values (docker/setup.sh renders the
// real one; its own test is below).

function renderTemplate(path: string): string {
  const env = Object.fromEntries(
    read('docker/env.sample')
      .split('\n')
      .map((l) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
  return read(path).replace(/@@([A-Z_]+)@@/g, (_m, name: string) => {
    if (name in env) return env[name]!;
    // Everything else comes from docker/secrets/ (or is generated): hex fits every spot.
    return 'ab'.repeat(32);
  });
}

const foyerTemplate = parseConfig(
  parse(renderTemplate('docker/templates/foyer.yaml')),
  join(ROOT, 'docker/foyer/foyer.yaml'),
).config;

function healthUrl(name: string): URL {
  const test = list(dict(service(name).healthcheck).test)
    .map(String)
    .join(' ');
  const m = /https?:\/\/[^'"\s)]+/.exec(test);
  if (!m) throw new Error(`${name}: no URL in its healthcheck`);
  return new URL(m[0]);
}

// ---------------------------------------------------------------------------------------------

describe('docker-compose.yml structure', () => {
  it('parses as a mapping with services, and has no obsolete top-level version', () => {
    expect(isDict(compose)).toBe(true);
    expect(Object.keys(services).sort()).toEqual(
      ['bridge', 'client', 'coturn', 'livekit', 'postgres', 'redis', 'sip-gateway', 'synapse'].sort(),
    );
    expect(compose).not.toHaveProperty('version');
  });

  it('gives every service an image or a build, and a healthcheck with a test', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(dict(s).image ?? dict(s).build, `${name}: image or build`).toBeDefined();
      const test = dict(dict(s).healthcheck).test;
      expect(
        Array.isArray(test) ? test.length : String(test ?? '').length,
        `${name}: healthcheck.test`,
      ).toBeGreaterThan(0);
      expect(list(test)[0], `${name}: healthcheck must not be disabled`).not.toBe('NONE');
    }
  });

  it('pins every image to a version, never latest', () => {
    for (const [name, s] of Object.entries(services)) {
      const image = dict(s).image;
      if (image === undefined) continue;
      const tag = /:([^/:@]+)$/.exec(String(image))?.[1];
      expect(tag, `${name}: ${String(image)}`).toMatch(/^v?\d+/);
    }
  });

  it('depends only on services that exist, waiting for health where it matters', () => {
    for (const [name, s] of Object.entries(services)) {
      const deps = dict(s).depends_on;
      const targets = Array.isArray(deps) ? deps.map(String) : Object.keys(dict(deps));
      for (const t of targets) expect(services, `${name} depends on ${t}`).toHaveProperty([t]);
    }
    const waitsFor = (name: string, dep: string) => dict(dict(service(name).depends_on)[dep]).condition;
    expect(waitsFor('synapse', 'postgres')).toBe('service_healthy');
    expect(waitsFor('bridge', 'postgres')).toBe('service_healthy');
    expect(waitsFor('bridge', 'synapse')).toBe('service_healthy');
    expect(waitsFor('sip-gateway', 'livekit')).toBe('service_healthy');
    expect(waitsFor('sip-gateway', 'postgres')).toBe('service_healthy');
  });

  it('declares at top level every named volume and secret a service uses', () => {
    const volumes = dict(compose.volumes);
    const secrets = dict(compose.secrets);
    for (const [name, s] of Object.entries(services)) {
      for (const v of list(dict(s).volumes)) {
        const source = isDict(v) ? (v.type === 'volume' ? String(v.source) : '') : String(v).split(':')[0]!;
        const named = source !== '' && !/^[./~$]/.test(source);
        if (named) expect(volumes, `${name}: volume ${source}`).toHaveProperty([source]);
      }
      for (const sec of list(dict(s).secrets)) {
        const source = isDict(sec) ? String(sec.source) : String(sec);
        expect(secrets, `${name}: secret ${source}`).toHaveProperty([source]);
      }
    }
    expect(volumes).toHaveProperty(['postgres_data']);
    expect(volumes).toHaveProperty(['synapse_data']);
  });

  it('keeps postgres and synapse data in named volumes', () => {
    expect(list(service('postgres').volumes)).toContain('postgres_data:/var/lib/postgresql/data');
    expect(list(service('synapse').volumes)).toContain('synapse_data:/data');
  });

  it('reads every secret from a git-ignored file under docker/secrets/', () => {
    const secrets = dict(compose.secrets);
    expect(Object.keys(secrets).length).toBeGreaterThan(0);
    const files = Object.entries(secrets).map(([name, s]) => {
      const file = String(dict(s).file ?? '');
      expect(file, `secret ${name}`).toMatch(/^\.\/docker\/secrets\/[^/]+$/);
      return file.slice(2);
    });
    const git = spawnSync('git', ['check-ignore', '--no-index', ...files, '.env', 'docker/foyer/foyer.yaml'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (git.error || git.status === 128) {
      // No git, or not a checkout: read the rule itself.
      expect(read('docker/secrets/.gitignore').split('\n')).toContain('*');
    } else {
      expect(git.stdout.trim().split('\n').sort()).toEqual([...files, '.env', 'docker/foyer/foyer.yaml'].sort());
      const readme = spawnSync('git', ['check-ignore', '--no-index', '-q', 'docker/secrets/README.md'], { cwd: ROOT });
      expect(readme.status, 'docker/secrets/README.md must stay tracked').toBe(1);
    }
    expect(existsSync(join(ROOT, 'docker/secrets/README.md'))).toBe(true);
  });

  it('publishes internal ports on loopback only; public only what phones and browsers need', () => {
    // [service, first target port, protocol] that may listen on every address.
    const intended = new Set([
      'sip-gateway 5060 udp',
      'sip-gateway 5060 tcp',
      `sip-gateway ${foyerTemplate.gateway.rtp.portMin} udp`,
      'livekit 7881 tcp',
      'livekit 7882 udp',
      `client ${foyerTemplate.web.listen.port} tcp`,
      'synapse 8008 tcp',
    ]);
    for (const p of allPublished) {
      if (isLoopback(p.hostIp)) continue;
      expect(intended, `${p.service} publishes ${p.target.join('-')}/${p.protocol} on ${p.hostIp}`).toContain(
        `${p.service} ${p.target[0]} ${p.protocol}`,
      );
    }
    // Host networking bypasses all of the above; only the TURN relay may use it.
    const hostNetwork = Object.entries(services).filter(([, s]) => dict(s).network_mode === 'host');
    expect(hostNetwork.map(([n]) => n)).toEqual(['coturn']);
    // Never published: the database, LiveKit's Redis, the appservice port.
    expect(publishedPorts('postgres')).toEqual([]);
    expect(publishedPorts('redis')).toEqual([]);
    expect(allPublished.filter((p) => p.target[0] === 9000)).toEqual([]);
  });

  it('publishes the HTTP ports on loopback by default (behind a reverse proxy)', () => {
    expect(
      publishedPorts('livekit')
        .filter((p) => p.target[0] === 7880)
        .map((p) => p.hostIp),
    ).toEqual(['127.0.0.1']);
    for (const name of ['synapse', 'client']) {
      for (const p of publishedPorts(name)) expect(isLoopback(p.hostIp), `${name} ${p.hostIp}`).toBe(true);
    }
  });

  it('publishes SIP on udp and tcp and the gateway RTP range 1:1', () => {
    const gw = publishedPorts('sip-gateway');
    const sip = foyerTemplate.gateway.sip.port;
    for (const proto of foyerTemplate.gateway.sip.transports) {
      expect(gw).toContainEqual(
        expect.objectContaining({ target: [sip, sip], hostPorts: [sip, sip], protocol: proto }),
      );
    }
    const rtp: [number, number] = [foyerTemplate.gateway.rtp.portMin, foyerTemplate.gateway.rtp.portMax];
    expect(gw).toContainEqual(expect.objectContaining({ target: rtp, hostPorts: rtp, protocol: 'udp' }));
  });
});

describe('Foyer services', () => {
  for (const [name, dir] of Object.entries(FOYER_SERVICES)) {
    it(`${name} mounts the config folder read-only at /etc/foyer`, () => {
      const mounts = list(service(name).volumes).map((v) =>
        isDict(v) ? `${String(v.source)}:${String(v.target)}${v.read_only ? ':ro' : ''}` : String(v),
      );
      const foyer = mounts.filter((m) => m.split(':')[1] === '/etc/foyer');
      expect(foyer, name).toHaveLength(1);
      expect(foyer[0]!.endsWith(':ro'), `${name}: ${foyer[0]}`).toBe(true);
      // Every other mount is read-only too: these services own no files.
      for (const m of mounts) expect(m.endsWith(':ro'), `${name}: ${m}`).toBe(true);
      const build = builds.find((b) => b.service === name);
      // One recipe for the three Node services; each is a final stage of its own.
      expect(build?.dockerfile).toBe(FOYER_DOCKERFILE);
      expect(build?.target).toBe(dir);
    });
  }

  it('healthchecks hit /health on the port each service listens on', () => {
    expect(healthUrl('bridge').port).toBe(String(foyerTemplate.bridge.listen.port));
    expect(healthUrl('sip-gateway').port).toBe(String(foyerTemplate.gateway.listen.port));
    expect(healthUrl('client').port).toBe(String(foyerTemplate.web.listen.port));
    for (const name of ['bridge', 'sip-gateway', 'client', 'synapse']) expect(healthUrl(name).pathname).toBe('/health');
    // The slim Node image has no curl: the check must be Node's fetch.
    for (const name of Object.keys(FOYER_SERVICES)) {
      expect(list(dict(service(name).healthcheck).test).slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    }
  });

  it('the compose Foyer config names the compose services and matches the published ports', () => {
    const c = foyerTemplate;
    expect(new URL(c.homeserver.url).hostname).toBe('synapse');
    expect(new URL(c.gateway.livekit.url).hostname).toBe('livekit');
    expect(new URL(c.bridge.gatewayUrl ?? '').hostname).toBe('sip-gateway');
    expect(new URL(c.bridge.gatewayUrl ?? '').port).toBe(String(c.gateway.listen.port));
    expect(new URL(c.gateway.bridgeUrl ?? '').hostname).toBe('bridge');
    expect(new URL(c.gateway.bridgeUrl ?? '').port).toBe(String(c.bridge.listen.port));
    for (const db of [c.bridge.database, c.gateway.database]) {
      expect(db.kind).toBe('postgres');
      if (db.kind === 'postgres') expect(new URL(db.url).hostname).toBe('postgres');
    }
    // Listeners that other containers or published ports reach must not be loopback.
    for (const l of [c.appservice.listen, c.bridge.listen, c.gateway.listen, c.web.listen])
      expect(l.bind).toBe('0.0.0.0');
    expect(c.appservice.registration).toBe(join(ROOT, 'docker/foyer/registration/foyer-registration.yaml'));
    // Synapse mounts that registration folder at the path its override config names.
    expect(list(service('synapse').volumes)).toContain('./docker/foyer/registration:/etc/foyer/registration:ro');
    expect(read('docker/templates/synapse.yaml')).toContain('/etc/foyer/registration/foyer-registration.yaml');
    // As the stack's Synapse: state_after in /sync, or clients may show state from before a fork.
    const synapse = dict(parse(renderTemplate('docker/templates/synapse.yaml')));
    expect(dict(synapse.experimental_features).msc4222_enabled).toBe(true);
    // MatrixRTC: Element Call finds Foyer's token service as the homeserver's LiveKit transport.
    expect(dict(synapse.experimental_features)).toMatchObject({ msc4143_enabled: true, msc4354_enabled: true });
    expect(synapse.max_event_delay_duration).toBe('24h');
    const transports = list(dict(synapse.matrix_rtc).transports);
    expect(transports).toEqual([{ type: 'livekit', livekit_service_url: 'https://foyer.example.org/livekit/jwt' }]);
  });

  it('the databases the configs use are the ones the Postgres init script creates', () => {
    const init = read('docker/postgres/init-databases.sh');
    expect(init).toMatch(
      /CREATE DATABASE synapse\b[^;]*ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;/,
    );
    for (const db of [foyerTemplate.bridge.database, foyerTemplate.gateway.database]) {
      if (db.kind !== 'postgres') continue;
      const url = new URL(db.url);
      expect(init).toMatch(new RegExp(`CREATE DATABASE ${url.pathname.slice(1)} OWNER ${url.username}\\b`));
      expect(init).toMatch(new RegExp(`CREATE ROLE ${url.username} LOGIN`));
    }
    const synapseDb = dict(dict(parse(renderTemplate('docker/templates/synapse.yaml'))).database);
    expect(dict(synapseDb.args)).toMatchObject({ host: 'postgres', dbname: 'synapse', user: 'synapse' });
    expect(init).toMatch(/CREATE DATABASE synapse OWNER synapse\b/);
    // The script reads its passwords from secrets the postgres service is given.
    for (const m of init.matchAll(/secret (\w+)\)/g)) expect(list(service('postgres').secrets)).toContain(m[1]);
    expect(list(service('postgres').volumes)).toContainEqual(
      expect.stringMatching(/^\.\/docker\/postgres\/init-databases\.sh:\/docker-entrypoint-initdb\.d\/[^:]+\.sh:ro$/),
    );
    expect(dict(service('postgres').environment).POSTGRES_PASSWORD_FILE).toBe('/run/secrets/postgres_password');
  });
});

describe('Dockerfiles', () => {
  it('exist where the compose file says, with their build contexts', () => {
    expect(builds.map((b) => b.service).sort()).toEqual(['bridge', 'client', 'sip-gateway']);
    for (const b of builds) {
      expect(statSync(b.context).isDirectory(), `${b.service}: context ${b.context}`).toBe(true);
      expect(existsSync(b.dockerfile), `${b.service}: ${b.dockerfile}`).toBe(true);
    }
  });

  it('start every stage FROM a pinned major version, never latest', () => {
    for (const b of builds) {
      const stages = new Set<string>();
      const froms = dockerfile(b.dockerfile).filter((i) => i.op === 'FROM');
      expect(froms.length, b.dockerfile).toBeGreaterThan(0);
      for (const { args } of froms) {
        const [image = '', , alias] = args.split(/\s+/);
        if (!stages.has(image)) {
          const tag = /:([^/:@]+)$/.exec(image)?.[1] ?? '';
          // A number (node:24-…, postgres:15) or a Debian release name (debian:bookworm-slim).
          expect(tag, `${b.service}: FROM ${image}`).toMatch(/^(v?\d+|bookworm|trixie|bullseye)(\b|[-.])/);
        }
        if (alias) stages.add(alias);
      }
    }
  });

  it('copy only files that exist in the build context and are not .dockerignored', () => {
    const ignore = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map(
        (p) =>
          new RegExp(
            `^${p
              .replace(/\./g, '\\.')
              .replace(/\*\*\//g, '(.*/)?')
              .replace(/\*/g, '[^/]*')}(/|$)`,
          ),
      );
    for (const b of builds) {
      for (const { op, args } of dockerfile(b.dockerfile)) {
        if (op !== 'COPY' && op !== 'ADD') continue;
        for (const src of copySources(args)) {
          if (src === '.') continue;
          expect(existsSync(join(b.context, src)), `${b.service}: COPY ${src}`).toBe(true);
          if (b.context === ROOT) {
            const rel = src.replace(/^\.\//, '').replace(/\/$/, '');
            expect(ignore.filter((r) => r.test(rel)).length, `${b.service}: COPY ${src} is .dockerignored`).toBe(0);
          }
        }
      }
    }
  });

  it('build the media agent into the gateway’s image, where the config template looks for it', () => {
    const all = dockerfile(FOYER_DOCKERFILE);
    const agent = stage(all, 'media-agent');
    expect(
      agent.some((i) => i.op === 'RUN' && /CGO_ENABLED=1 go build -tags nolibopusfile -o (\S+)/.test(i.args)),
    ).toBe(true);
    const template = dict(parse(read('docker/templates/foyer.yaml')));
    const binary = String(dict(dict(template.gateway).livekit).agentBinary);
    const gateway = stage(all, 'sip-gateway');
    expect(gateway.some((i) => i.op === 'COPY' && i.args === `--from=media-agent /foyer-media-agent ${binary}`)).toBe(
      true,
    );
    // libopus at run time (the agent links it dynamically).
    expect(gateway.some((i) => i.op === 'RUN' && /\blibopus0\b/.test(i.args))).toBe(true);
  });

  it('keep secrets and local state out of the root build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const p of ['docker', '.env', '**/node_modules', '.git', 'registration']) expect(ignored).toContain(p);
  });

  for (const [name, dir] of Object.entries(FOYER_SERVICES)) {
    describe(name, () => {
      const all = existsSync(FOYER_DOCKERFILE) ? dockerfile(FOYER_DOCKERFILE) : [];
      const steps = stage(all, dir);
      const cmd = steps.filter((i) => i.op === 'CMD').at(-1);
      const argv = cmd ? (JSON.parse(cmd.args) as string[]) : [];

      it('is multi-stage on node:24-bookworm-slim, installs with npm ci and runs as a non-root user', () => {
        const froms = all.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0]);
        expect(froms.length).toBeGreaterThan(1);
        expect(froms.filter((f) => f?.startsWith('node:')).every((f) => f === 'node:24-bookworm-slim')).toBe(true);
        expect(all.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args))).toBe(true);
        expect(steps[0]?.args, `stage ${dir}`).toMatch(new RegExp(`^runtime AS ${dir}$`));
        const user = steps.filter((i) => i.op === 'USER').at(-1)?.args;
        expect(user).toBeDefined();
        expect(['root', '0']).not.toContain(user?.split(':')[0]);
      });

      it('CMD runs node on an entry file that exists, with the mounted config', () => {
        expect(argv).toEqual(['node', expect.stringMatching(/\.ts$/), '--config', '/etc/foyer/foyer.yaml']);
        // The image's WORKDIR mirrors the repository root, so the path is checked there.
        expect(existsSync(join(ROOT, argv[1] ?? '')), `${argv[1]} (written by the service's author)`).toBe(true);
      });
    });
  }

  it('the bridge image carries foyer-admin, reading the mounted config', () => {
    const bridge = stage(dockerfile(FOYER_DOCKERFILE), 'bridge');
    expect(bridge.some((i) => i.op === 'COPY' && i.args === 'scripts/lib/admin/ scripts/lib/admin/')).toBe(true);
    const wrapper = bridge.find((i) => i.op === 'RUN' && i.args.includes('/usr/local/bin/foyer-admin'));
    expect(wrapper?.args).toContain('/app/scripts/lib/admin/main.ts');
    expect(existsSync(join(ROOT, 'scripts/lib/admin/main.ts'))).toBe(true);
    expect(bridge.some((i) => i.op === 'ENV' && i.args === 'FOYER_CONFIG=/etc/foyer/foyer.yaml')).toBe(true);
  });

  it('the client image builds the static app in its build stage', () => {
    const steps = dockerfile(FOYER_DOCKERFILE);
    expect(steps.some((i) => i.op === 'RUN' && i.args.includes('npm run build --workspace client'))).toBe(true);
    const client = stage(steps, 'client');
    expect(client.some((i) => i.op === 'COPY' && /--from=\w+ \/app\/client\/dist\/? client\/dist/.test(i.args))).toBe(
      true,
    );
  });
});

describe('LiveKit and its Redis', () => {
  const base = dict(parse(read('docker/livekit/livekit.yaml')));
  const rtc = dict(base.rtc);
  const lk = service('livekit');
  const dir = mkdtempSync(join(tmpdir(), 'foyer-livekit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports joins to the gateway’s webhook, signed with the key the gateway holds; browsers get the public URL', () => {
    const hook = dict(base.webhook);
    expect(hook.api_key).toBe(dict(lk.environment).LIVEKIT_API_KEY);
    expect(hook.api_key).toBe(foyerTemplate.gateway.livekit.apiKey);
    const url = new URL(String(list(hook.urls)[0]));
    expect(url.hostname).toBe('sip-gateway');
    expect(url.port).toBe(String(foyerTemplate.gateway.listen.port));
    expect(url.pathname).toBe(LIVEKIT_WEBHOOK_PATH);
    expect(foyerTemplate.gateway.livekit.publicUrl).toBe(
      read('docker/env.sample').match(/^FOYER_LIVEKIT_URL=(.+)$/m)?.[1],
    );
  });

  /** The entrypoint, run with a stand-in for livekit-server that prints the config it is given. */
  function entrypoint(env: Record<string, string>) {
    const stub = join(dir, 'stub.sh');
    writeFileSync(stub, '#!/bin/sh\nprintf "%s" "$2"\n', { mode: 0o755 });
    const secrets = join(dir, 'secrets');
    mkdirSync(secrets, { recursive: true });
    writeFileSync(join(secrets, 'api'), 'a1'.repeat(32));
    writeFileSync(join(secrets, 'redis'), 'b2'.repeat(32));
    writeFileSync(join(secrets, 'turn'), 'c3'.repeat(22), { mode: 0o644 }); // world-readable, as compose mounts it
    return spawnSync('sh', [join(ROOT, 'docker/livekit/entrypoint.sh')], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        TMPDIR: dir,
        LIVEKIT_BIN: stub,
        LIVEKIT_BASE_CONFIG: join(ROOT, 'docker/livekit/livekit.yaml'),
        LIVEKIT_API_SECRET_FILE: join(secrets, 'api'),
        LIVEKIT_REDIS_PASSWORD_FILE: join(secrets, 'redis'),
        TURN_SHARED_SECRET_FILE: join(secrets, 'turn'),
        LIVEKIT_API_KEY: String(dict(lk.environment).LIVEKIT_API_KEY),
        ...env,
      },
    });
  }

  it('runs the image of the version scripts/setup builds for the local stack', () => {
    const pinned = /^LIVEKIT_VERSION=(v[\d.]+)$/m.exec(read('scripts/setup'))?.[1];
    expect(pinned).toBeDefined();
    expect(lk.image).toBe(`livekit/livekit-server:${pinned}`);
  });

  it('publishes the ports its config listens on, 1:1, apart from every other UDP range', () => {
    const ports = publishedPorts('livekit');
    expect(base.port).toBe(7880);
    expect(ports).toContainEqual(expect.objectContaining({ target: [7880, 7880], protocol: 'tcp' }));
    expect(ports).toContainEqual(
      expect.objectContaining({
        target: [rtc.tcp_port, rtc.tcp_port],
        hostPorts: [rtc.tcp_port, rtc.tcp_port],
        protocol: 'tcp',
      }),
    );
    expect(ports).toContainEqual(
      expect.objectContaining({
        target: [rtc.udp_port, rtc.udp_port],
        hostPorts: [rtc.udp_port, rtc.udp_port],
        protocol: 'udp',
      }),
    );
    expect(rtc.use_external_ip).toBe(false);
    const udp = Number(rtc.udp_port);
    const coturn = read('docker/coturn/turnserver.conf');
    const relay = [Number(/^min-port=(\d+)/m.exec(coturn)?.[1]), Number(/^max-port=(\d+)/m.exec(coturn)?.[1])];
    const others = [
      ...allPublished.filter((p) => p.service !== 'livekit' && p.protocol === 'udp').map((p) => p.hostPorts),
      relay,
      [3478, 3478],
    ];
    for (const [lo, hi] of others) expect(udp < lo! || udp > hi!, `${udp} in ${lo}-${hi}`).toBe(true);
  });

  it("uses the deployment's coturn, not its embedded TURN", () => {
    expect(dict(base.turn).enabled).toBe(false);
    expect(list(lk.secrets)).toContain('turn_shared_secret');
  });

  it('gets its keys, Redis password, node IP and TURN servers from the entrypoint, in private files', () => {
    const r = entrypoint({ FOYER_PUBLIC_IP: '203.0.113.10', FOYER_TURN_HOST: 'turn.example.org' });
    expect(r.status, r.stderr).toBe(0);
    const file = r.stdout;
    expect(file.startsWith(dir)).toBe(true);
    const c = dict(parse(readFileSync(file, 'utf8')));
    expect(dict(c.rtc)).toMatchObject({ tcp_port: 7881, udp_port: 7882, node_ip: '203.0.113.10' });
    const turn = list(dict(c.rtc).turn_servers).map(dict);
    expect(turn.map((t) => `${String(t.host)}:${String(t.port)}/${String(t.protocol)}`)).toEqual([
      'turn.example.org:3478/udp',
      'turn.example.org:3478/tcp',
    ]);
    expect(read('docker/coturn/turnserver.conf')).toMatch(/^listening-port=3478$/m);
    // LiveKit refuses key and secret files that others can read.
    for (const f of [String(c.key_file), String(turn[0]?.secret_file)]) expect(statSync(f).mode & 0o077, f).toBe(0);
    expect(readFileSync(String(c.key_file), 'utf8')).toBe(`foyer: ${'a1'.repeat(32)}\n`);
    expect(dict(c.redis)).toEqual({ address: 'redis:6379', password: 'b2'.repeat(32) });
    expect(statSync(file).mode & 0o077).toBe(0);
    // Refuses to start half-configured.
    const missing = entrypoint({ FOYER_TURN_HOST: 'turn.example.org' });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('FOYER_PUBLIC_IP is not set');
  });

  it('waits for a healthy Redis that needs its password and keeps nothing on disk', () => {
    expect(dict(dict(lk.depends_on).redis).condition).toBe('service_healthy');
    const redis = service('redis');
    expect(list(redis.secrets)).toEqual(['livekit_redis_password']);
    expect(list(lk.secrets)).toContain('livekit_redis_password');
    const script = read('docker/livekit/redis-entrypoint.sh');
    expect(script).toContain('requirepass');
    expect(script).toContain('save ""');
    expect(script).toContain('appendonly no');
    expect(list(dict(redis.healthcheck).test).join(' ')).toContain('REDISCLI_AUTH');
  });
});

describe('docker/setup.sh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'foyer-compose-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates secrets, renders configs that load and agree with them, and never overwrites', () => {
    cpSync(join(ROOT, 'docker'), join(dir, 'docker'), {
      recursive: true,
      filter: (src) => !/docker\/(secrets|foyer|synapse)\/(?!\.gitignore$|README\.md$)[^/]+$/.test(src),
    });
    writeFileSync(join(dir, '.env'), read('docker/env.sample'));
    const setup = () =>
      spawnSync('bash', [join(dir, 'docker/setup.sh')], { encoding: 'utf8', env: { PATH: process.env.PATH } });

    const refused = setup();
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('npm run registration');

    const registration = join(dir, 'docker/foyer/registration/foyer-registration.yaml');
    mkdirSync(dirname(registration), { recursive: true });
    writeFileSync(registration, 'id: foyer\n');
    const first = setup();
    expect(first.status, first.stderr).toBe(0);

    const secret = (name: string) => readFileSync(join(dir, 'docker/secrets', name), 'utf8').trim();
    for (const name of Object.keys(dict(compose.secrets))) expect(secret(name).length).toBeGreaterThanOrEqual(32);
    const { config } = loadConfig(join(dir, 'docker/foyer/foyer.yaml'));
    expect(config.gateway.livekit.apiSecret).toBe(secret('livekit_api_secret'));
    for (const db of [config.bridge.database, config.gateway.database]) {
      if (db.kind === 'postgres')
        expect(decodeURIComponent(new URL(db.url).password)).toBe(secret('foyer_db_password'));
    }
    expect(config.homeserver.serverName).toBe('example.org');
    const synapse = dict(parse(readFileSync(join(dir, 'docker/synapse/foyer.yaml'), 'utf8')));
    expect(dict(dict(synapse.database).args).password).toBe(secret('synapse_db_password'));
    expect(synapse.turn_shared_secret).toBe(secret('turn_shared_secret'));
    expect(JSON.stringify(synapse)).not.toContain('@@');
    expect(statSync(join(dir, 'docker/secrets')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'docker/foyer/foyer.yaml')).mode & 0o007).toBe(0);

    const before = readFileSync(join(dir, 'docker/foyer/foyer.yaml'), 'utf8');
    const again = setup();
    expect(again.status, again.stderr).toBe(0);
    expect(readFileSync(join(dir, 'docker/foyer/foyer.yaml'), 'utf8')).toBe(before);
    expect(config.internalApi.secret).toBe(loadConfig(join(dir, 'docker/foyer/foyer.yaml')).config.internalApi.secret);
  });
});

describe('docker compose config', () => {
  // compose-check (tools/compose-check, built by scripts/setup) loads the file with compose-go,
  // the library behind `docker compose config`, since no compose CLI runs on these machines.
  const bin = join(ROOT, '.tools', 'bin', 'compose-check');
  const check = (file: string) =>
    spawnSync(bin, [file, ROOT], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH } });

  it('accepts the file as docker compose would', () => {
    expect(existsSync(bin), 'run scripts/setup to build .tools/bin/compose-check').toBe(true);
    const r = check(join(ROOT, 'docker-compose.yml'));
    expect(r.status, r.stderr).toBe(0);
  });

  it('and would refuse a broken one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'foyer-compose-bad-'));
    try {
      const broken = read('docker-compose.yml').replace(
        /^services:\n/m,
        'services:\n  oops:\n    image: x:1\n    depends_on: [nowhere]\n',
      );
      writeFileSync(join(dir, 'docker-compose.yml'), broken);
      const r = check(join(dir, 'docker-compose.yml'));
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/nowhere/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
