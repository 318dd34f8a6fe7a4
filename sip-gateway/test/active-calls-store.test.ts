// Issue 16, item 4: a call whose dialog holds a NUL (or another character Postgres jsonb refuses)
// is still recorded in active_calls, and read back exactly, so it gets its BYE after a crash.
// Against the embedded PGlite, which refuses \u0000 in jsonb as Postgres does.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDatabase, type Knex } from '@foyer/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialogSnapshot } from '../src/sip/dialog.ts';
import { migrations, MIGRATIONS_TABLE } from '../src/store/migrations.ts';
import { decodeDialog, encodeDialog, KnexActiveCallStore } from '../src/store/active-calls.ts';

const snapshot = (name: string, callId: string): DialogSnapshot => ({
  callId,
  localTag: 'local1',
  remoteTag: 'remote\u0001tag',
  local: { uri: 'sip:4999@127.0.0.1' },
  remote: { name, uri: 'sip:+4930123@192.0.2.1' },
  routeSet: [],
  remoteTarget: 'sip:caller@192.0.2.1:5060',
  flow: { protocol: 'UDP', address: '192.0.2.1', port: 5060, local: { address: '0.0.0.0', port: 5060 } },
  localCSeq: 0,
});

describe('active_calls store', () => {
  let dir: string;
  let db: Knex;
  let store: KnexActiveCallStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'foyer-active-calls-'));
    db = openDatabase({ kind: 'pglite', dataDir: dir });
    await migrate(db, migrations, MIGRATIONS_TABLE);
    store = new KnexActiveCallStore(db);
  }, 60_000);
  afterAll(async () => {
    await db?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('records a dialog with a NUL and a lone surrogate in the display name, and reads it back unchanged', async () => {
    const evil = snapshot('"evil\u0000name \ud800"', 'nul-call@192.0.2.1');
    const plain = snapshot('"Anna"', 'plain-call@192.0.2.1');
    await store.remember(evil.callId, evil);
    await store.remember(plain.callId, plain);
    const all = await store.all();
    expect(all.find((r) => r.callId === evil.callId)?.dialog).toEqual(evil);
    expect(all.find((r) => r.callId === plain.callId)?.dialog).toEqual(plain);
    // A plain dialog stays plain, queryable JSON.
    const row = (await db('active_calls').where({ call_id: plain.callId }).first()) as { dialog: unknown };
    expect(row.dialog).toMatchObject({ callId: plain.callId });
    await store.forget(evil.callId);
    expect((await store.all()).map((r) => r.callId)).toEqual([plain.callId]);
  });

  it('encodes only what needs it, and decodes strings and parsed values alike', () => {
    const plain = { a: 'b\u0001c' };
    expect(encodeDialog(plain)).toBe(JSON.stringify(plain));
    const nul = { a: 'b\u0000c' };
    expect(encodeDialog(nul)).not.toContain('\\u0000');
    expect(decodeDialog(encodeDialog(nul))).toEqual(nul);
    expect(decodeDialog(JSON.parse(encodeDialog(nul)))).toEqual(nul);
    expect(decodeDialog(plain)).toEqual(plain);
  });
});
