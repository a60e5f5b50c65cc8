// Helpers for the integration layer: root check, labs in private network namespaces, running the reference
// and our CLI back to back, and comparing their output with tolerance for genuinely time-dependent fields.

import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO = join(__dirname, '../..');
export const REF = process.env.CONNTRACK_REF ?? '/usr/sbin/conntrack';
const OURS = join(REPO, 'bin/conntrack');

function haveTools(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of [REF, '/usr/sbin/ip', '/usr/sbin/nft']) if (!existsSync(tool)) return `${tool} missing`;
  if (!existsSync(join(REPO, 'dist/conntrack.cjs'))) return 'not built (npm run build)';
  return undefined;
}

/** Why the integration layer cannot run here, or undefined when it can. */
export const skipReason = haveTools();
if (skipReason) {
  // one clear line, once per file that imports this
  process.stderr.write(`integration tests skipped: ${skipReason} (they need root, iproute2, nftables and conntrack)\n`);
}

export interface Run {
  stdout: string;
  stderr: string;
  status: number;
}

function toRun(r: SpawnSyncReturns<string>): Run {
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? 128 + (r.signal ? 9 : 0) };
}

export interface RunOptions {
  /** run inside test/lab/with-labels.sh (connlabel.conf available) */
  labels?: boolean;
  /** the connlabel.conf that with-labels.sh mounts (default fixtures/connlabel.conf) */
  labelsFile?: string;
  input?: string;
  timeoutMs?: number;
  /**
   * The arguments and input are bytes, one per character (latin1), and reach the program as exactly those bytes:
   * a string argument of spawnSync would be encoded as UTF-8, so they go through `bash -c` as $'\xNN' words.
   */
  bytes?: boolean;
}

/** A bash word that expands to exactly the bytes of s (one byte per character, no NUL). */
export function shBytes(s: string): string {
  let w = "$'";
  for (let i = 0; i < s.length; i++) w += '\\x' + s.charCodeAt(i).toString(16).padStart(2, '0');
  return w + "'";
}

function exec(ns: string, argv: string[], opts: RunOptions = {}): Run {
  const cmd = ['ip', 'netns', 'exec', ns, ...argv];
  let full = opts.labels ? ['bash', join(REPO, 'test/lab/with-labels.sh'), ...cmd] : cmd;
  if (opts.bytes) full = ['bash', '-c', full.map(shBytes).join(' ')];
  const env: NodeJS.ProcessEnv = { ...process.env, CONNTRACK_ARGV0: 'conntrack', TZ: 'UTC', LC_ALL: 'C' };
  if (opts.labelsFile) env.CTLAB_CONNLABEL = opts.labelsFile;
  return toRun(
    spawnSync(full[0], full.slice(1), {
      encoding: 'latin1',
      input: opts.bytes && opts.input !== undefined ? Buffer.from(opts.input, 'latin1') : opts.input,
      timeout: opts.timeoutMs ?? 60_000,
      env,
      maxBuffer: 1 << 30,
    }),
  );
}

// argv[0] "conntrack", as when an admin types the bare name (usage() and some messages print argv[0])
export const runRef = (ns: string, args: string[], opts?: RunOptions): Run =>
  exec(ns, ['bash', '-c', 'exec -a conntrack "$0" "$@"', REF, ...args], opts);
export const runOurs = (ns: string, args: string[], opts?: RunOptions): Run => exec(ns, [process.execPath, OURS, ...args], opts);
export const runSh = (ns: string, script: string, opts?: RunOptions): Run => exec(ns, ['bash', '-c', script], opts);

/** conntrack 1.4.8, the reference where it fixed 1.4.7 (shared/tools unpacks it on first use) */
export const REF148 = join(REPO, '../shared/tools/conntrack-1.4.8');
/** one shell word */
export const shq = (a: string): string => `'${a.replaceAll("'", `'\\''`)}'`;
/** 1.4.8's messages read "v1.4.7": the version string is the one byte we do not follow it in */
const as147 = (r: Run): Run => ({
  ...r,
  stderr: r.stderr.replaceAll('conntrack v1.4.8 (conntrack-tools)', 'conntrack v1.4.7 (conntrack-tools)'),
});
export const run148 = (ns: string, args: string[], opts?: RunOptions): Run =>
  as147(runSh(ns, `exec -a conntrack ${REF148} ${args.map(shq).join(' ')}`, opts));
/**
 * Whether 1.4.8 can run: its first run unpacks it from the Debian archive, which a network namespace cannot
 * reach, so it runs once here, in the machine's namespace, with --version (which touches no table).
 */
export function have148(): boolean {
  return existsSync(REF148) && spawnSync(REF148, ['--version'], { encoding: 'utf8', timeout: 300_000 }).status === 0;
}

/** `cat FILE | conntrack -R -` through a real pipe (a spawned process's stdin is a socket, which /dev/stdin cannot open) */
export function runPiped(ns: string, tool: 'ref' | '1.4.8' | 'ours', text: string, opts?: RunOptions): Run {
  const dir = mkdtempSync(join(tmpdir(), 'ctit-'));
  const file = join(dir, 'input');
  writeFileSync(file, text);
  const cmd =
    tool === 'ref'
      ? `exec -a conntrack ${REF}`
      : tool === '1.4.8'
        ? `exec -a conntrack ${REF148}`
        : `CONNTRACK_ARGV0=conntrack exec ${process.execPath} ${OURS}`;
  try {
    return as147(runSh(ns, `cat '${file}' | ${cmd} -R -`, opts));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** conntrack ids are new after every reload: compare them through the entry, not as numbers. */
export const dropIds = (s: string): string => s.replace(/ id=\d+/g, ' id=#').replace(/<id>\d+<\/id>/g, '<id>#</id>');

export function lab(action: 'build' | 'build-labels' | 'destroy', name: string): void {
  const argv = ['bash', join(REPO, 'test/lab/lab.sh'), action, name];
  const full = action === 'build-labels' ? ['bash', join(REPO, 'test/lab/with-labels.sh'), ...argv] : argv;
  const r = spawnSync(full[0], full.slice(1), { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0 && action !== 'destroy') throw new Error(`lab ${action} ${name} failed: ${r.stderr}`);
}

/** A fresh empty network namespace. */
export function netnsAdd(name: string): void {
  spawnSync('ip', ['netns', 'del', name]);
  const r = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip netns add ${name}: ${r.stderr}`);
}
export function netnsDel(name: string): void {
  spawnSync('ip', ['netns', 'del', name]);
}

// Time-dependent fields: remaining timeout, delta-time and use= (the kernel's reference count).
const TIME_FIELDS: RegExp[] = [
  /^((?:\s*\[[A-Z]+\]\s)?(?:(?:ipv4|ipv6|unknown)\s+\d+\s)?\S+\s+\d+\s)(\d+)(?= )/, // default line: timeout column
  /(delta-time=)(\d+)/,
  /( use=)(\d+)/,
  /(<timeout>)(\d+)/,
  /(<deltatime>)(\d+)/,
  /(<use>)(\d+)/,
  /^(-A -t )(\d+)/,
  /^((?:\s*\[[A-Z]+\]\s)?)(\d+)(?= proto=)/, // expectation line: timeout
];

function normalize(line: string): { text: string; values: number[] } {
  const values: number[] = [];
  let text = line;
  for (const re of TIME_FIELDS) {
    text = text.replace(re, (_m, pre: string, v: string) => {
      values.push(Number(v));
      return pre + '#';
    });
  }
  return { text, values };
}

/**
 * The lines of a table listing in an order that does not depend on time: sorted with the time-dependent fields
 * (timeouts, use=) left out, so that two listings a second apart line up for diffTolerant.
 */
export function sortedLines(text: string): string[] {
  const key = (l: string): string => normalize(l).text;
  return text
    .split('\n')
    .filter(Boolean)
    .sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      return ka < kb ? -1 : ka > kb ? 1 : a < b ? -1 : a > b ? 1 : 0;
    });
}

/**
 * Compares two outputs line by line: equal except for time-dependent numbers, which may differ by `tolerance`.
 * Returns undefined when they match, else a description of the first difference.
 */
export function diffTolerant(want: string, got: string, tolerance = 3): string | undefined {
  const a = want.split('\n');
  const b = got.split('\n');
  if (a.length !== b.length)
    return `line count ${a.length - 1} != ${b.length - 1}\n--- want\n${want.slice(0, 2000)}\n--- got\n${got.slice(0, 2000)}`;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const na = normalize(a[i]);
    const nb = normalize(b[i]);
    if (na.text !== nb.text || na.values.length !== nb.values.length) return `line ${i + 1}:\n- ${a[i]}\n+ ${b[i]}`;
    for (let k = 0; k < na.values.length; k++) {
      if (Math.abs(na.values[k] - nb.values[k]) > tolerance) return `line ${i + 1} (time field ${k}):\n- ${a[i]}\n+ ${b[i]}`;
    }
  }
  return undefined;
}

/**
 * diffTolerant's tolerance for two runs that each start on a freshly loaded table (a reset, then the tool, then the
 * listing): a timeout printed by one can be ahead of the other's by at most the longer run's seconds, plus one for
 * a tick at either end; never below the default 3. Under load a run of 20 -R lines takes longer than 3 s.
 */
export function tickTolerance(...spansMs: number[]): number {
  return Math.max(3, Math.ceil(Math.max(...spansMs) / 1000) + 1);
}

/** Runs the reference and ours with the same arguments and asserts stdout (tolerant), stderr and exit code. */
export function compareCommand(ns: string, args: string[], opts?: RunOptions): { ref: Run; ours: Run; problem?: string } {
  const ref = runRef(ns, args, opts);
  const ours = runOurs(ns, args, opts);
  let problem = diffTolerant(ref.stdout, ours.stdout);
  if (!problem && ref.stderr !== ours.stderr) problem = `stderr differs:\n- ${ref.stderr}\n+ ${ours.stderr}`;
  if (!problem && ref.status !== ours.status) problem = `exit ${ref.status} != ${ours.status}`;
  return { ref, ours, problem: problem ? `conntrack ${args.join(' ')}: ${problem}` : undefined };
}

/** A table that can be put back as it was, listed, and run on. */
export interface TableBed {
  reset(): void;
  /** the table as the reference lists it, sorted */
  table(): string;
  ours(args: string[]): Run;
}

/** A TableBed of what the reference's -R loads from each of `tables` after a flush (no tables: an empty table). */
export function loadedTable(ns: string, tables: string[]): TableBed {
  return {
    reset() {
      runRef(ns, ['-F']);
      for (const t of tables) {
        const r = runRef(ns, ['-R', t]);
        if (r.status !== 0) throw new Error(`loading ${t} failed: ${r.stderr}`);
      }
    },
    table: () => sortedLines(runRef(ns, ['-L']).stdout).join('\n'),
    ours: (args) => runOurs(ns, args),
  };
}

/**
 * Resets the table before each tool's run, then compares stdout (ids and time fields tolerated), stderr, exit
 * code and the table each left behind. Returns both runs and the first difference, if any. The time fields may
 * differ by the longer side's seconds (reset, run and listing: tickTolerance).
 */
export function compareOnTable(bed: TableBed, ref: (args: string[]) => Run, args: string[]): { ref: Run; ours: Run; problem?: string } {
  const t0 = Date.now();
  bed.reset();
  const r = ref(args);
  const refTable = bed.table();
  const t1 = Date.now();
  bed.reset();
  const o = bed.ours(args);
  const oursTable = bed.table();
  const tolerance = tickTolerance(t1 - t0, Date.now() - t1);
  let problem = diffTolerant(dropIds(r.stdout), dropIds(o.stdout), tolerance);
  if (!problem && r.stderr !== o.stderr) problem = `stderr differs:\n- ${r.stderr}\n+ ${o.stderr}`;
  if (!problem && r.status !== o.status) problem = `exit ${r.status} != ${o.status}`;
  if (!problem) {
    const t = diffTolerant(refTable, oursTable, tolerance);
    if (t) problem = `table left behind differs: ${t}`;
  }
  return { ref: r, ours: o, problem: problem ? `conntrack ${args.join(' ')}: ${problem}` : undefined };
}

/**
 * A shell loop that runs `test` every `interval` seconds until it succeeds, `seconds` at most: the one shape of
 * every bounded wait below (a test that keeps failing just ends the wait; what follows then fails).
 */
export const waitUntil = (test: string, seconds = 10, interval = 0.1): string =>
  `for _i in $(seq ${Math.ceil(seconds / interval)}); do ${test} && break; sleep ${interval}; done`;

/**
 * A shell command that waits, at most 10 s, until N event listeners are subscribed in this network namespace:
 * NETLINK_NETFILTER sockets (protocol 12) in /proc/net/netlink that joined a multicast group. A fixed sleep
 * before the traffic is too short on a loaded machine, and a listener that is late misses the events.
 */
export const waitListeners = (n: number): string =>
  waitUntil(`[ "$(awk '$2 == 12 && $4 != "00000000"' /proc/net/netlink | wc -l)" -ge ${n} ]`);

/**
 * A shell command that waits, at most `seconds`, until the event listeners of this network namespace have caught
 * up: none has anything queued on its socket (Rmem 0 in /proc/net/netlink) and the output files all hold the same
 * number of lines, unchanged since the previous look 0.2 s before. A listener that prints fewer lines than another
 * makes it wait the whole bound, and the comparison that follows fails.
 */
export const waitCaughtUp = (files: string[], seconds = 10): string =>
  `_prev=; ` +
  waitUntil(
    `{ _q=$(awk '$2 == 12 && $4 != "00000000" && $5 != 0' /proc/net/netlink | wc -l); _now=$(for _f in ${files.join(' ')}; do wc -l < $_f; done | sort -u);` +
      ` _done=1; if [ "$_q" = 0 ] && [ "$(echo "$_now" | wc -l)" = 1 ]; then [ "$_now" = "$_prev" ] && _done=0; _prev=$_now; else _prev=; fi; [ $_done = 0 ]; }`,
    seconds,
    0.2,
  );

/**
 * The lines of an -E output without progname= (looked up as the event is read, while the requester may be gone: a
 * race, not what a comparison of two listeners is about).
 */
export const eventLines = (text: string): string[] =>
  text
    .replace(/ progname=\S+/g, '')
    .split('\n')
    .filter(Boolean);

/** A shell command that waits, at most `seconds`, until `file` contains a line matching the extended regex. */
export const waitLine = (file: string, regex: string, seconds = 10): string => waitUntil(`grep -qE '${regex}' ${file}`, seconds);

/**
 * A shell command that waits, at most `seconds`, until the process whose pid is in shell variable `pidVar` has
 * exited (gone, or a zombie: an orphan's zombie waits for init, which may reap it late), then prints `gone`, or
 * `alive` after killing it.
 */
export function waitExited(pidVar: string, seconds = 10): string {
  const exited = `{ _st=$(awk '{print $3}' /proc/$${pidVar}/stat 2>/dev/null); [ -z "$_st" ] || [ "$_st" = Z ]; }`;
  return `${waitUntil(exited, seconds)}; if ${exited}; then echo gone; else echo alive; kill -9 $${pidVar}; fi`;
}
