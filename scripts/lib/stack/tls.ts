// The stack's own certificate authority, for federation between the two homeservers of partner
// mode: generated once per stack folder with openssl. Each Synapse gets a certificate for
// localhost and 127.0.0.1 signed by it, and trusts only this CA for federation (verification
// stays on). Private keys are mode 0600 in a 0700 folder. Nothing here is meant for production.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from './errors.ts';
import type { StackLayout } from './layout.ts';
import { requireBinary } from './proc.ts';

export interface TlsFiles {
  cert: string;
  key: string;
}

export const caFile = (l: StackLayout) => join(l.tlsDir, 'ca.pem');
const caKey = (l: StackLayout) => join(l.tlsDir, 'ca.key');

function openssl(args: string[]): string {
  const bin = requireBinary('openssl', ['openssl'], 'install the Debian package openssl (scripts/setup)');
  try {
    return execFileSync(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const e = err as { stderr?: string };
    throw new StackError(`openssl ${args[0]} failed: ${e.stderr?.trim().split('\n').pop() ?? String(err)}`);
  }
}

/** False when the certificate is missing, expires within a day, or (given a CA) was not signed by it. */
function stillValid(cert: string, ca?: string): boolean {
  if (!existsSync(cert)) return false;
  try {
    openssl(['x509', '-in', cert, '-noout', '-checkend', '86400']);
    if (ca) openssl(['verify', '-CAfile', ca, cert]);
    return true;
  } catch {
    return false;
  }
}

function ensureCa(l: StackLayout): void {
  mkdirSync(l.tlsDir, { recursive: true, mode: 0o700 });
  chmodSync(l.tlsDir, 0o700);
  if (stillValid(caFile(l)) && existsSync(caKey(l))) return;
  // A new CA invalidates every certificate the old one signed.
  rmSync(l.tlsDir, { recursive: true, force: true });
  mkdirSync(l.tlsDir, { recursive: true, mode: 0o700 });
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', caKey(l)]);
  chmodSync(caKey(l), 0o600);
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    caKey(l),
    '-sha256',
    '-days',
    '3650',
    '-subj',
    `/O=Foyer local stack/CN=Foyer local stack CA ${randomBytes(4).toString('hex')}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    caFile(l),
  ]);
}

/** The CA (created on first use) and a certificate with key for `name`, valid for localhost and 127.0.0.1. */
export function ensureCertificate(l: StackLayout, name: string): TlsFiles {
  ensureCa(l);
  const files = { cert: join(l.tlsDir, `${name}.pem`), key: join(l.tlsDir, `${name}.key`) };
  if (stillValid(files.cert, caFile(l)) && existsSync(files.key)) return files;
  const csr = join(l.tlsDir, `${name}.csr`);
  const ext = join(l.tlsDir, `${name}.ext`);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', files.key]);
  chmodSync(files.key, 0o600);
  openssl(['req', '-new', '-key', files.key, '-subj', `/O=Foyer local stack/CN=${name}`, '-out', csr]);
  writeFileSync(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caFile(l),
    '-CAkey',
    caKey(l),
    '-set_serial',
    `0x${randomBytes(16).toString('hex')}`,
    '-sha256',
    '-days',
    '825',
    '-extfile',
    ext,
    '-out',
    files.cert,
  ]);
  rmSync(csr, { force: true });
  rmSync(ext, { force: true });
  return files;
}
