// V8's tier-up for a listener that is handed few events: -E whose socket filter decides every event
// (commands/events.ts readInProcess), so the kernel drops what cannot match and, in a burst of which 1% matches,
// some 1000 events of 100k reach this process.
//
// V8 sends a function to its optimizing compiler (TurboFan, on a helper thread) once it has run about
// --interrupt-budget bytes of bytecode (67584 in Node 20's V8) a few times over. For 1000 events that compile
// of the decoder and the formatter costs more CPU than it saves: measured on the bench's 1% burst
// (bench/events.sh, schedstat of the listener), the helper threads took 50-55 ms of a 100-125 ms total with the
// default, 5-8 ms of a 57-70 ms total with a budget of 1-8 MB, and the main thread's share did not grow. A larger
// budget delays the compiler, it does not switch it off: a filter that lets a flood through (-E -p tcp under a
// TCP flood) still gets its decoder optimized, some tens of thousands of events later.

import { setFlagsFromString } from 'node:v8';

/** 62x V8's default: a 1000-event burst stays in the bytecode interpreter and Sparkplug's baseline code */
const FEW_EVENTS_INTERRUPT_BUDGET = 4 << 20;

/**
 * Raises V8's optimization threshold for the functions not run yet (the budget is read as each function's
 * feedback is allocated). Node keeps V8's flags writable after start (--no-freeze-flags-after-init).
 */
export function tierUpLater(): void {
  setFlagsFromString(`--interrupt-budget=${FEW_EVENTS_INTERRUPT_BUDGET}`);
}
