// The package as npm users get it: packed from a copy of this tree (prepack builds it), installed globally into a
// scratch prefix and into a scratch consumer project; the CLI runs (-V, and -L in a private network namespace,
// against the reference), and the library imports and type-checks under moduleResolution node16 and bundler.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netnsAdd, netnsDel, REF, REPO, runSh, skipReason } from '../helpers/netns.js';

const NS = `ctit-pkg-${process.pid}`;
const TSC = join(REPO, 'node_modules/.bin/tsc');

function sh(cmd: string, args: string[], cwd: string): { stdout: string; stderr: string; status: number } {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' },
  });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status ?? -1 };
}

describe.skipIf(skipReason)('npm pack, install -g and a consumer project', { timeout: 180_000 }, () => {
  let work = '';
  let tarball = '';
  let files: string[] = [];
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'ctit-pkg-'));
    // a copy of the tree as git sees it (tracked and new files, nothing ignored), with this tree's node_modules
    const src = join(work, 'src');
    mkdirSync(src);
    const tar = spawnSync('bash', [
      '-c',
      `cd '${REPO}' && git ls-files -co --exclude-standard -z | tar cf - --null -T - | tar xf - -C '${src}'`,
    ]);
    if (tar.status !== 0) throw new Error(`copy failed: ${tar.stderr}`);
    symlinkSync(join(REPO, 'node_modules'), join(src, 'node_modules'));
    const pack = sh('npm', ['pack', '--pack-destination', work], src);
    if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
    tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
    files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    netnsAdd(NS);
  });
  afterAll(() => {
    netnsDel(NS);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships the built CLI and library, and no tests, fixtures, sources or source maps', () => {
    for (const f of [
      'package/bin/conntrack',
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/conntrack.cjs',
      'package/dist/event-receiver.js',
      'package/man/conntrack-ts.8',
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => /^package\/(test|fixtures|src|scripts|bench)\//.test(f) || f.endsWith('.map'))).toEqual([]);
  });

  it('npm install -g of the tarball gives a conntrack that runs like the reference', () => {
    const prefix = join(work, 'prefix');
    const inst = sh('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', tarball], work);
    expect(inst.status, inst.stderr).toBe(0);
    const bin = join(prefix, 'bin/conntrack');
    for (const args of [['-V'], ['-L'], ['-C'], ['-L', '-p', 'nope']]) {
      const quoted = args.map((a) => `'${a}'`).join(' ');
      const ours = runSh(NS, `exec -a conntrack ${bin} ${quoted}`);
      const ref = runSh(NS, `exec -a conntrack ${REF} ${quoted}`);
      expect(ours, args.join(' ')).toEqual(ref);
    }
    // the man page goes where man finds it
    expect(readdirSync(join(prefix, 'share/man/man8'))).toContain('conntrack-ts.8');
  });

  it('a consumer project imports the typed library (node16 and bundler resolution)', () => {
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    const inst = sh('npm', ['install', '--prefer-offline', tarball], app);
    expect(inst.status, inst.stderr).toBe(0);
    writeFileSync(
      join(app, 'use.mjs'),
      "import { ConntrackClient, formatFlowDefault } from 'conntrack-ts';\nconsole.log(typeof ConntrackClient, typeof formatFlowDefault);\n",
    );
    expect(sh('node', ['use.mjs'], app).stdout).toBe('function function\n');
    writeFileSync(
      join(app, 'use.ts'),
      "import { ConntrackClient } from 'conntrack-ts';\nimport type { Flow } from 'conntrack-ts';\n" +
        'export async function count(): Promise<number | undefined> {\n  const c: ConntrackClient = ConntrackClient.open();\n  const n = await c.count();\n  c.close();\n  return n;\n}\n' +
        'export const src = (f: Flow): string | undefined => f.orig?.src;\n',
    );
    for (const [module, resolution] of [
      ['node16', 'node16'],
      ['esnext', 'bundler'],
    ]) {
      const r = sh(
        TSC,
        [
          '--noEmit',
          '--strict',
          '--skipLibCheck',
          'false',
          '--module',
          module,
          '--moduleResolution',
          resolution,
          '--types',
          'node',
          '--typeRoots',
          join(REPO, 'node_modules/@types'),
          'use.ts',
        ],
        app,
      );
      expect(r.stdout + r.stderr, resolution).toBe('');
      expect(r.status).toBe(0);
    }
  });
});
