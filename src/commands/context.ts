// What a command gets to work with: the netlink client, the output sinks, the clock. Commands never touch
// `process`; they return their counter (or throw a CtError), and main.ts decides what is printed and the exit.

import type { CtClient } from '../ctnetlink/client.js';
import type { Clock } from '../format/clock.js';
import type { TextSink } from '../format/sink.js';

export interface CommandContext {
  client: CtClient;
  out: TextSink;
  /** unbuffered stderr text (warnings that conntrack prints as it goes) */
  err: (s: string) => void;
  clock: Clock;
  /**
   * false: receive a large dump on this thread too, not on a thread of its own. Absent: the client decides by the
   * table's size, whatever stdout is (a pipe included: on a 2-core machine, bench/run.sh 2026-12-07 21:00 UTC,
   * -L | wc -l took 4.2-4.5 s threaded against 7.0-7.8 s on one thread at 1M entries, 1.4-1.6 s against 2.0-2.2 s
   * at 300k: the kernel's dump work in the reader's recvmsg() is the larger half, and the pipe's reader needs little).
   */
  threadedDumps?: boolean;
  /** set while a command that changes entries runs: a signal asks it to stop (see answered-batches.ts) */
  stop?: StopRequest;
}

/**
 * A request to stop (SIGINT, SIGTERM or SIGHUP, in cli/signals.ts): no new change is sent once it is set, and
 * what is in flight is finished and reported.
 */
export interface StopRequest {
  readonly requested: boolean;
  /** settles when the stop is requested (never, if it is not) */
  readonly whenRequested: Promise<void>;
}

export interface CommandResult {
  /** the counter conntrack prints in its summary line */
  counter: number;
  /** a failure after output was produced: reported as "Operation failed: ..." */
  error?: unknown;
}
