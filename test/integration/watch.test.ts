// --watch driven in a real terminal: tmux runs it in a private network namespace holding known entries, the
// screen is read back with capture-pane, events are made with the reference conntrack, and the view is left
// with q, Ctrl-C and SIGTERM. The screen with live event rates is kept as watch-screen.txt in
// $CONNTRACK_TEST_ARTIFACTS or a temporary folder (and .ansi, with the colours as the terminal received them).

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netnsAdd, netnsDel, REF, REPO, runOurs, runSh, skipReason } from '../helpers/netns.js';

const NS = `ctit-watch-${process.pid}`;
const SOCK = `ctit-watch-${process.pid}`;
const STOP = join(tmpdir(), `ctit-watch-stop-${process.pid}`);
const ARTIFACTS = process.env.CONNTRACK_TEST_ARTIFACTS ?? join(tmpdir(), `conntrack-ts-artifacts-${process.pid}`);

const tmuxMissing = spawnSync('tmux', ['-V']).status === 0 ? undefined : 'tmux missing (apt-get install tmux)';
const skip = skipReason ?? tmuxMissing;
if (!skipReason && tmuxMissing) process.stderr.write(`watch integration test skipped: ${tmuxMissing}\n`);

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCK, ...args], { encoding: 'utf8', timeout: 10_000 });
  return r.stdout ?? '';
}
const capture = (session: string, escapes = false): string => tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', session);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls the pane (every 200 ms, `ms` at most) until `ok` holds; returns the last screen either way. */
async function waitFor(session: string, ok: (screen: string) => boolean, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  let screen = capture(session);
  while (!ok(screen) && Date.now() < end) {
    await sleep(200);
    screen = capture(session);
  }
  return screen;
}

/** The shell has reported the exit code and, after it, the terminal's line settings (stty prints echo last). */
const exitedAndSettingsShown = (screen: string): boolean => screen.includes('EXITED') && /^-?echo$/m.test(screen);

/** Starts --watch in a 120x40 terminal; the shell reports its exit code, then the terminal's line settings. */
function startWatch(session: string, env: string): void {
  const cmd =
    `ip netns exec ${NS} env -u NO_COLOR -u FORCE_COLOR ${env} TERM=xterm-256color ${process.execPath} ${REPO}/bin/conntrack --watch; ` +
    `echo EXITED $?; stty -a | tr ' ;' '\\n\\n' | grep -x -e '-\\?icanon' -e '-\\?echo'; exec tail -f /dev/null`;
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', cmd);
}

const field = (session: string, f: string): string => tmux('display-message', '-p', '-t', session, f).trim();

describe.skipIf(skip)('conntrack --watch in a terminal (tmux)', () => {
  let max = 0;
  const readMax = (): number => Number(runSh(NS, 'cat /proc/sys/net/netfilter/nf_conntrack_max').stdout.trim());
  /** "Table [gauge] 8 / MAX  P%": nf_conntrack_max is global, so it is read again in case it just changed */
  const expectFill = (screen: string): void => {
    const m = /^Table +\[[#.]+\] 8 \/ (\d+) +(\d+\.\d)%/m.exec(screen);
    expect(m, screen).not.toBeNull();
    expect([max, readMax()]).toContain(Number(m![1]));
    expect(m![2]).toBe(((8 / Number(m![1])) * 100).toFixed(1));
  };
  beforeAll(() => {
    netnsAdd(NS);
    runSh(
      NS,
      'ip link set lo up; nft add table ip t; nft add chain ip t o "{ type filter hook output priority 0; }"; nft add rule ip t o ct state established,new accept',
    );
    // known entries: 5 tcp from 10.9.0.1 to :443 (ESTABLISHED), 3 udp from 10.9.0.2 to 10.9.2.1:53
    const ins: string[] = [];
    for (let i = 1; i <= 5; i++)
      ins.push(`${REF} -I -s 10.9.0.1 -d 10.9.1.${i} -p tcp --sport ${4000 + i} --dport 443 --state ESTABLISHED -t 300`);
    for (let i = 1; i <= 3; i++) ins.push(`${REF} -I -s 10.9.0.2 -d 10.9.2.1 -p udp --sport ${5000 + i} --dport 53 -t 300`);
    const r = runSh(NS, ins.map((c) => `${c} >/dev/null 2>&1`).join('; ') + `; ${REF} -C`);
    expect(r.stdout.trim()).toBe('8');
    max = readMax();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(() => {
    rmSync(STOP, { force: true });
    spawnSync('tmux', ['-L', SOCK, 'kill-server']);
    netnsDel(NS);
  });

  it('shows the fill, the top lists and live NEW/DESTROY rates in colour, and q restores the terminal', async () => {
    startWatch('q', '');
    let screen = await waitFor('q', (s) => s.includes('Top sources') && s.includes('10.9.0.1'));
    expect(screen).toMatch(/^conntrack --watch {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC +q: quit$/m);
    expectFill(screen);
    expect(screen).toMatch(/^Scanned 8 entries$/m);
    expect(screen).toMatch(/Top sources +Top destinations +Top ports +Top states/);
    // the first row of each list: the biggest group
    expect(screen).toMatch(/^ +5 {2}10\.9\.0\.1 +3 {2}10\.9\.2\.1 +5 {2}tcp\/443 +5 {2}tcp ESTABLISHED$/m);
    expect(screen).toMatch(/^ +3 {2}10\.9\.0\.2 +1 {2}10\.9\.1\.1 +3 {2}udp\/53 +3 {2}udp UNREPLIED$/m);
    expect(field('q', '#{alternate_on} #{cursor_flag}')).toBe('1 0');
    // colour on a terminal without NO_COLOR
    expect(capture('q', true)).toMatch(/\x1b\[[0-9;]*m/);

    // events: entries made and deleted, 4 per second, until the rates have been seen (15 s at most)
    const loop = spawn('ip', [
      'netns',
      'exec',
      NS,
      'bash',
      '-c',
      `for i in $(seq 1 60); do [ -e ${STOP} ] && break; ${REF} -I -s 10.8.0.$i -d 10.8.0.254 -p udp --sport 1 --dport 9999 -t 60 >/dev/null 2>&1; ` +
        `${REF} -D -s 10.8.0.$i >/dev/null 2>&1; sleep 0.25; done`,
    ]);
    const loopDone = new Promise<void>((r) => loop.on('exit', () => r()));
    const rates = /NEW (\d+(?:\.\d+)?)\/s {3}DESTROY (\d+(?:\.\d+)?)\/s/;
    screen = await waitFor(
      'q',
      (s) => {
        const m = rates.exec(s);
        return m !== null && Number(m[1]) > 0 && Number(m[2]) > 0;
      },
      10_000,
    );
    const m = rates.exec(screen);
    expect(m, screen).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![2])).toBeGreaterThan(0);
    // the screenshot, as text and with the terminal's colours
    writeFileSync(join(ARTIFACTS, 'watch-screen.txt'), screen.replace(/\n+$/, '\n'));
    writeFileSync(join(ARTIFACTS, 'watch-screen.ansi'), capture('q', true).replace(/\n+$/, '\n'));
    // stopped between two iterations, so that no entry it made is left behind
    writeFileSync(STOP, '');
    await loopDone;

    tmux('send-keys', '-t', 'q', 'q');
    screen = await waitFor('q', exitedAndSettingsShown, 10_000);
    expect(screen).toMatch(/^EXITED 0$/m);
    expect(screen).not.toContain('Top sources'); // the alternate screen is gone
    expect(screen).toMatch(/^icanon$/m); // raw mode undone
    expect(screen).toMatch(/^echo$/m);
    expect(field('q', '#{alternate_on} #{cursor_flag}')).toBe('0 1');
  });

  it('honours NO_COLOR, and Ctrl-C leaves as q does', async () => {
    startWatch('nc', 'NO_COLOR=1');
    const screen = await waitFor('nc', (s) => s.includes('Top sources') && s.includes('10.9.0.1'));
    expect(screen).toContain('Top sources');
    // eslint-disable-next-line no-control-regex
    expect(capture('nc', true)).not.toMatch(/\x1b\[[0-9;]*m/);
    tmux('send-keys', '-t', 'nc', 'C-c');
    const after = await waitFor('nc', exitedAndSettingsShown, 10_000);
    expect(after).toMatch(/^EXITED 0$/m);
    expect(after).toMatch(/^icanon$/m);
    expect(field('nc', '#{alternate_on} #{cursor_flag}')).toBe('0 1');
  });

  it('leaves cleanly on SIGTERM', async () => {
    startWatch('term', '');
    await waitFor('term', (s) => s.includes('Top sources'));
    const shell = field('term', '#{pane_pid}');
    const node = spawnSync('pgrep', ['-P', shell], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
    expect(node).toMatch(/^\d+$/);
    process.kill(Number(node), 'SIGTERM');
    const after = await waitFor('term', exitedAndSettingsShown, 10_000);
    expect(after).toMatch(/^EXITED 0$/m);
    expect(after).toMatch(/^icanon$/m);
    expect(field('term', '#{alternate_on} #{cursor_flag}')).toBe('0 1');
  });

  it('prints one plain snapshot when stdout is not a terminal', () => {
    const r = runOurs(NS, ['--watch'], { timeoutMs: 20_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/\x1b/);
    expectFill(r.stdout);
    expect(r.stdout).toMatch(/^Events {2}NEW \d+\.\d\/s {3}DESTROY \d+\.\d\/s$/m);
    expect(r.stdout).toMatch(/^ +5 {2}10\.9\.0\.1 +3 {2}10\.9\.2\.1 +5 {2}tcp\/443 +5 {2}tcp ESTABLISHED$/m);
  });
});
