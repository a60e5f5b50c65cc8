// What a command gets to work with: the netlink client, the output sinks, the clock. Commands never touch
// `process`; they return their counter (or throw a CtError), and main.ts decides what is printed and the exit.

import type { CtClient } from '../ctnetlink/client.js';
import type { Clock } from '../format/clock.js';
import type { TextSink } from '../cli/output.js';

export interface CommandContext {
  client: CtClient;
  out: TextSink;
  /** unbuffered stderr text (warnings that conntrack prints as it goes) */
  err: (s: string) => void;
  clock: Clock;
}

export interface CommandResult {
  /** the counter conntrack prints in its summary line */
  counter: number;
  /** a failure after output was produced: reported as "Operation failed: ..." */
  error?: unknown;
}
