// The conntrack-table commands through the real ConntrackClient over a scripted transport (no root): the kernel's
// answers are what it sent to our CLI running the same arguments in a private netns (fixtures/kernel/answers/ct-*,
// fixtures/cases-answers.tsv), the requests are checked as declared attribute trees, the output and the exit code
// against what conntrack 1.4.7 printed on the same table (fixtures/golden/ct-*).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { ConntrackClient } from '../../src/ctnetlink/client.js';
import { MemorySink } from '../../src/format/sink.js';
import { fixedClock } from '../../src/format/clock.js';
import { scriptedPair, type ScriptedTransport } from '../helpers/scripted-transport.js';

const FIXTURES = join(__dirname, '../../fixtures');
const REPO = join(__dirname, '../..');

interface Case {
  args: string[];
  exit: number;
  now: number;
}
const meta = (name: string): Case => JSON.parse(readFileSync(join(FIXTURES, 'kernel/answers', `${name}.json`), 'utf8'));
const golden = (name: string): { stdout: string; stderr: string; exit: number } => ({
  stdout: readFileSync(join(FIXTURES, 'golden', `${name}.stdout`), 'latin1'),
  stderr: readFileSync(join(FIXTURES, 'golden', `${name}.stderr`), 'latin1'),
  exit: meta(name).exit,
});

interface Run {
  stdout: string;
  stderr: string;
  exit: number;
  main: ScriptedTransport;
  modifier: ScriptedTransport;
}

/** Runs the case's arguments (or others) on the client over the case's capture. */
async function run(name: string, argv: string[] = meta(name).args): Promise<Run> {
  const t = scriptedPair(join(FIXTURES, 'kernel/answers', `${name}.hex`));
  const out = new MemorySink();
  let stderr = '';
  const exit = await main({
    // -R's file is named relative to the repository, where the capture ran
    argv: ['conntrack', ...argv.map((a) => (a.startsWith('fixtures/') ? join(REPO, a) : a))],
    out,
    err: (s) => (stderr += s),
    clock: fixedClock(meta(name).now),
    openClient: () => ConntrackClient.over(t.main, () => t.modifier),
    labelmapPath: '/nonexistent',
  });
  return { stdout: out.text, stderr, exit, ...t };
}
const printed = (r: Run) => ({ stdout: r.stdout, stderr: r.stderr, exit: r.exit });

describe('-L on the scripted transport', () => {
  it('prints what the reference printed', async () => {
    const r = await run('ct-list-udp');
    expect(printed(r)).toEqual(golden('ct-list-udp'));
  });
});

describe('-D on the scripted transport', () => {
  it('deletes in three batches and prints what the reference printed', async () => {
    const r = await run('ct-delete-udp');
    expect(printed(r)).toEqual(golden('ct-delete-udp'));
    expect(r.modifier.messages.length).toBe(70);
  });
});
