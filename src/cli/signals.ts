// Signals as conntrack 1.4.7 meets them, on a runtime that changes them at start.
//
// conntrack installs a handler of its own only for -E (SIGINT, SIGTERM: print the summary, exit 0). Every other
// command keeps the dispositions it was started with: the default one ends it (128 + signal), an ignored one
// (a script's `conntrack -D ... &` starts with SIGINT and SIGQUIT ignored, `nohup` ignores SIGHUP) lets it run
// to the end. Node resets every disposition to the default before any script runs, so bin/conntrack (a
// /bin/sh preamble) reads SigIgn from /proc/self/status before Node starts and hands it over in
// CONNTRACK_SIGIGN; the signals ignored there get a listener that does nothing, which ignores them again.
//
// The commands that change entries in batches (-D, -U, -F, -R) catch SIGINT, SIGTERM and SIGHUP (those not
// ignored at start) instead of dying in the middle of a batch: they send no new request, wait for the answers
// to what is in flight, print every entry the kernel confirmed and the summary line, and then end by the same
// signal, so the exit status is the one conntrack's death gives (130, 143, 129).

import type { StopRequest } from '../commands/context.js';

/** The environment variable bin/conntrack passes the SigIgn mask of /proc/self/status in (hex, bit n-1 = signal n). */
export const SIGIGN_ENV = 'CONNTRACK_SIGIGN';

/** Signals whose default ends the process and that Node lets a listener take (not SIGUSR1: the inspector's). */
const RESTORABLE: ReadonlyArray<[NodeJS.Signals, number]> = [
  ['SIGHUP', 1],
  ['SIGINT', 2],
  ['SIGQUIT', 3],
  ['SIGUSR2', 12],
  ['SIGALRM', 14],
  ['SIGTERM', 15],
];

/** The signals that stop a batch of changes instead of ending the process at once. */
const STOPPING: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export const signalNumber = (s: NodeJS.Signals): number => RESTORABLE.find(([n]) => n === s)?.[1] ?? 0;

/** The signals ignored when the process started, from a SigIgn mask (empty when it is not known). */
export function ignoredAtStart(mask: string | undefined): Set<NodeJS.Signals> {
  const ignored = new Set<NodeJS.Signals>();
  if (!mask || !/^[0-9a-fA-F]{1,16}$/.test(mask)) return ignored;
  const bits = BigInt('0x' + mask);
  for (const [name, n] of RESTORABLE) if ((bits >> BigInt(n - 1)) & 1n) ignored.add(name);
  return ignored;
}

/** What main() needs from the process's signals while a command that changes entries runs. */
export interface StopSignals {
  /**
   * From now until release(): SIGINT, SIGTERM and SIGHUP (unless ignored at start) set `stop.requested` instead
   * of ending the process. `stop.signal` is the first one caught.
   */
  catchStop(): StopGuard;
}

export interface StopGuard {
  readonly stop: StopRequest;
  /** the signal that asked for the stop, if one did */
  readonly signal: NodeJS.Signals | undefined;
  /** restores the signals' previous dispositions */
  release(): void;
}

/** A stop request that signals (or a test) set. */
export class StopFlag implements StopRequest {
  requested = false;
  signal: NodeJS.Signals | undefined;
  readonly whenRequested: Promise<void>;
  private resolve!: () => void;
  constructor() {
    this.whenRequested = new Promise<void>((resolve) => {
      this.resolve = resolve;
    });
  }
  request(signal: NodeJS.Signals): void {
    if (this.requested) return;
    this.requested = true;
    this.signal = signal;
    this.resolve();
  }
}

/** The process's signals, with the dispositions it started with. */
export class ProcessSignals implements StopSignals {
  private readonly ignored: Set<NodeJS.Signals>;
  /** the signal that stopped a command: the process ends by it (endBySignal) once main() is done */
  stoppedBy: NodeJS.Signals | undefined;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.ignored = ignoredAtStart(env[SIGIGN_ENV]);
    // not passed on to the processes we start (the event receiver)
    delete env[SIGIGN_ENV];
    for (const s of this.ignored) process.on(s, ignore);
  }

  catchStop(): StopGuard {
    const flag = new StopFlag();
    const caught = STOPPING.filter((s) => !this.ignored.has(s));
    const onSignal = (s: NodeJS.Signals): void => {
      this.stoppedBy ??= s;
      flag.request(s);
    };
    for (const s of caught) process.on(s, onSignal);
    return {
      stop: flag,
      get signal() {
        return flag.signal;
      },
      release() {
        for (const s of caught) process.off(s, onSignal);
      },
    };
  }
}

function ignore(): void {}

/**
 * Ends the process by `signal` once its listeners are gone (the default disposition then applies), as conntrack
 * dies from it; the exit code is the shell's 128 + n should the signal not end it.
 */
export function endBySignal(signal: NodeJS.Signals): void {
  process.exitCode = 128 + signalNumber(signal);
  process.kill(process.pid, signal);
}
