// npm run registration -- --url <where Synapse reaches the bridge> [--out FILE] [--bot LOCALPART] [--force]
// Writes the appservice registration with fresh tokens. Refuses to overwrite an existing one
// unless --force: new tokens need Synapse and the bridge restarted with the new file.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateRegistration, registrationYaml } from '@foyer/config';
import { DEFAULT_BOT_LOCALPART, LOCALPART_PATTERN } from '@foyer/common/matrix-ids';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    out: { type: 'string', default: 'registration/foyer-registration.yaml' },
    bot: { type: 'string', default: DEFAULT_BOT_LOCALPART },
    force: { type: 'boolean', default: false },
  },
});

function fail(msg: string): never {
  process.stderr.write(`registration: ${msg}\n`);
  process.exit(2);
}

if (!values.url || !/^https?:\/\/[^/]+/.test(values.url))
  fail('--url http(s)://host:port is required (where Synapse reaches the bridge)');
if (!LOCALPART_PATTERN.test(values.bot)) fail('--bot must be a Matrix localpart');
const out = resolve(process.env.INIT_CWD ?? process.cwd(), values.out);
if (existsSync(out) && !values.force) fail(`${out} exists; pass --force to replace its tokens`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, registrationYaml(generateRegistration({ url: values.url, botLocalpart: values.bot })), {
  mode: 0o600,
});
process.stdout.write(`wrote ${out} (load it in Synapse's app_service_config_files)\n`);
