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
   * false: receive a large dump on this thread too, not on a thread of its own. Decided by the CLI from the
   * output: when stdout is a pipe on a machine of two cores or fewer, the pipe's reader needs the second core
   * (-L | wc -l ran faster so). Absent: the client decides by the table's size.
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
