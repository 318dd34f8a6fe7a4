// The front door: the README gives exactly two commands (`scripts/stack up`, `npm test`), CI runs
// the README's test command, both commands install what is missing before they need it, the
// README's dial-in example is what `scripts/stack up` prints, and the README's repository tables
// name every top-level folder and every script (so a new one cannot go undocumented).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, stackLayout } from '../scripts/lib/stack/layout.ts';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const readme = read('README.md');

/** The body of a `## heading` section (up to the next `## `). */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  expect(start, `README.md has a "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const rest = markdown.slice(start + heading.length + 5);
  const end = rest.search(/\n## /);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The lines of a shell script that do something (no shebang, comments or blank lines). */
function commands(script: string): string[] {
  return script
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** The README's two commands: the lines of the first code block under "The two commands". */
function frontDoorCommands(): string[] {
  const block = /```(?:sh|bash)?\n([\s\S]*?)```/.exec(section(readme, 'The two commands'));
  expect(block, 'a code block under "The two commands"').not.toBeNull();
  return commands(block?.[1] ?? '');
}

describe('the README front door', () => {
  it('gives exactly two commands: scripts/stack up and npm test', () => {
    expect(frontDoorCommands()).toEqual(['scripts/stack up', 'npm test']);
  });

  it('has CI run the README test command and nothing else', () => {
    const testCommand = frontDoorCommands()[1];
    // Set-up lines (shell options, the folder, the environment) are allowed; the one command is
    // the README's test command.
    const run = commands(read('.ci/run')).filter((l) => !/^(set |cd |export [A-Z_]+=)/.test(l) && !l.startsWith('#!'));
    expect(run.map((l) => l.replace(/^exec /, ''))).toEqual([testCommand]);
  });

  it('has npm test run scripts/test, which installs what is missing before it needs Node', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.test).toBe('scripts/test');
    const lines = commands(read('scripts/test'));
    const setup = lines.findIndex((l) => /scripts\/setup"? --quick$|\/setup" --quick$/.test(l));
    expect(setup, 'scripts/test calls scripts/setup --quick').toBeGreaterThanOrEqual(0);
    const firstNode = lines.findIndex((l) => /(^|[\s(])(node|npm|npx)\s|lib\/env\.sh/.test(l));
    expect(setup).toBeLessThan(firstNode);
  });

  it('has scripts/stack up install what is missing before it needs Node', () => {
    const lines = commands(read('scripts/stack'));
    const setup = lines.findIndex((l) => l.includes('up') && /setup"? --quick/.test(l));
    expect(setup, 'scripts/stack calls scripts/setup --quick for up').toBeGreaterThanOrEqual(0);
    const firstNode = lines.findIndex((l) => /lib\/env\.sh|(^|\s)exec node\s/.test(l));
    expect(setup).toBeLessThan(firstNode);
  });

  it('shows the dial-in URI that scripts/stack up prints', () => {
    // main.ts prints sip:<the stack's number, digits and +>@<host>:<SIP port>.
    expect(read('scripts/lib/stack/main.ts')).toContain(
      "Dial-in:     sip:${s.dialInNumber.replace(/[^+0-9]/g, '')}@${l.host}:${l.ports.sip}",
    );
    const number = /dialInNumber: '([^']+)'/.exec(read('scripts/lib/stack/state.ts'))?.[1];
    expect(number, "the stack's dial-in number in state.ts").toBeDefined();
    const l = stackLayout({});
    const uri = `sip:${(number ?? '').replace(/[^+0-9]/g, '')}@${l.host}:${l.ports.sip}`;
    expect(section(readme, 'The local stack')).toContain(`\`${uri}\``);
  });
});

/** Top-level names git ignores, from .gitignore's simple patterns (`name/`, `name*`). */
function ignored(name: string): boolean {
  if (name === '.git') return true;
  return read('.gitignore')
    .split('\n')
    .map((p) => p.trim())
    .filter((p) => p && !p.startsWith('#') && !p.startsWith('!'))
    .filter((p) => !p.replace(/^\//, '').replace(/\/$/, '').includes('/'))
    .some((p) => {
      const glob = p.replace(/^\//, '').replace(/\/$/, '');
      const re = new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      return re.test(name);
    });
}

describe('the README repository tables', () => {
  const tables = section(readme, 'Repository');

  it('name every top-level folder', () => {
    const folders = readdirSync(ROOT).filter((n) => statSync(join(ROOT, n)).isDirectory() && !ignored(n));
    expect(folders.length).toBeGreaterThan(5);
    const missing = folders.filter((n) => !tables.includes(`\`${n}/\``));
    expect(missing, 'folders missing from the README table (add a row)').toEqual([]);
  });

  it('name every script in scripts/', () => {
    const scripts = readdirSync(join(ROOT, 'scripts'));
    const missing = scripts.filter((n) => !tables.includes(`\`scripts/${n}`));
    expect(missing, 'scripts missing from the README table (add a row)').toEqual([]);
  });

  it('links no document outside the repository, and no file that is not there', () => {
    const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((n) => `docs/${n}`)];
    for (const doc of docs) {
      for (const [, target] of read(doc).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!target || /^[a-z]+:/.test(target) || target.startsWith('#')) continue;
        const path = resolve(ROOT, dirname(doc), target.replace(/#.*$/, ''));
        expect(path.startsWith(`${ROOT}/`) || path === ROOT, `${doc} links ${target}, outside the repository`).toBe(
          true,
        );
        expect(existsSync(path), `${doc} links ${target}, which does not exist`).toBe(true);
      }
    }
  });
});
