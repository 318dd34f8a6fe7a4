import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { configSchema, crossCheck, registrationSchema, type FoyerConfig, type Registration } from './schema.ts';

/** A config problem, phrased for the operator: one line naming the key and what was expected. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${path}: ` : '';
    return `${where}unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return `${path}: ${issue.message}`;
}

/** Validate parsed data against a schema, or throw a ConfigError naming the first bad key. */
export function validate<S extends z.ZodType>(schema: S, data: unknown, source: string): z.output<S> {
  const result = schema.safeParse(data);
  if (!result.success) {
    const issues = result.error.issues.map(describeIssue);
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    throw new ConfigError(`${source}: ${issues[0]}${more}`);
  }
  return result.data;
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const msg = err instanceof YAMLParseError ? err.message.split('\n')[0] : String(err);
    throw new ConfigError(`${file}: not valid YAML: ${msg}`);
  }
}

export interface LoadedConfig {
  config: FoyerConfig;
  /** Absolute path of the file, for resolving relative paths inside it. */
  file: string;
  resolvePath(p: string): string;
}

export function parseConfig(data: unknown, file: string): LoadedConfig {
  const config = validate(configSchema, data, file);
  const problems = crossCheck(config);
  if (problems[0]) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    throw new ConfigError(`${file}: ${problems[0].path.join('.')}: ${problems[0].message}${more}`);
  }
  const base = dirname(file);
  const resolvePath = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  for (const section of [config.bridge, config.gateway]) {
    if (section.database.kind === 'pglite') section.database.dataDir = resolvePath(section.database.dataDir);
  }
  config.appservice.registration = resolvePath(config.appservice.registration);
  const ivr = config.gateway.ivr;
  ivr.promptsDir = resolvePath(ivr.promptsDir);
  if (ivr.holdMusic) ivr.holdMusic = resolvePath(ivr.holdMusic);
  const tls = config.gateway.sip.tls;
  if (tls) Object.assign(tls, { certFile: resolvePath(tls.certFile), keyFile: resolvePath(tls.keyFile) });
  return { config, file, resolvePath };
}

export function loadConfig(file: string): LoadedConfig {
  const abs = resolve(file);
  return parseConfig(readYaml(abs), abs);
}

export function loadRegistration(file: string): Registration {
  return validate(registrationSchema, readYaml(file), file);
}

/** The config path from `--config <file>` or FOYER_CONFIG. */
export function configPathFromArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const i = argv.indexOf('--config');
  const file = i >= 0 ? argv[i + 1] : env.FOYER_CONFIG;
  if (!file) throw new ConfigError('no config file: pass --config <file.yaml> or set FOYER_CONFIG');
  return file;
}

/** The URL of a loopback or bound listener, for a peer service calling it. */
export function listenerUrl(listen: { bind: string; port: number }): string {
  const host = listen.bind === '0.0.0.0' || listen.bind === '::' ? '127.0.0.1' : listen.bind;
  return `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
}
