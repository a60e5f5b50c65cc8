// Answers that arrive through a callback, handed out as an async iterable: the one queue behind dump() and
// dumpExpect().

/** Takes one answer; a promise it returns pauses the producer until the consumer has caught up. */
export type Push<T> = (item: T) => Promise<void> | undefined;

/**
 * Runs `produce`, yielding what it pushes as it arrives. With `highWater`, a push that finds that many items
 * waiting returns a promise that settles when the consumer takes them (a producer that can wait, waits), so at most twice
 * that many are held: the chunk being yielded and the queue behind it. Without,
 * the queue grows as fast as the producer pushes. A consumer that stops early lets the producer run to its end
 * (what it still pushes is dropped); the producer's failure is thrown at the consumer after what came before it.
 */
export async function* streamOf<T>(produce: (push: Push<T>) => Promise<void>, highWater?: number): AsyncGenerator<T> {
  const queue: T[] = [];
  let stopped = false;
  let wake: (() => void) | undefined;
  let resume: (() => void) | undefined;
  let end: { error?: unknown } | undefined;
  const signal = (): void => {
    wake?.();
    wake = undefined;
  };
  const done = produce((item) => {
    if (stopped) return undefined;
    queue.push(item);
    signal();
    if (highWater === undefined || queue.length < highWater) return undefined;
    return new Promise<void>((r) => (resume = r));
  }).then(
    () => {
      end = {};
      signal();
    },
    (e: unknown) => {
      end = { error: e };
      signal();
    },
  );
  try {
    for (;;) {
      if (queue.length) {
        // taken in chunks: shift() on a long array is linear
        const chunk = queue.splice(0, queue.length);
        resume?.();
        resume = undefined;
        yield* chunk;
        continue;
      }
      if (end) {
        if (end.error !== undefined) throw end.error;
        return;
      }
      await new Promise<void>((r) => (wake = r));
    }
  } finally {
    stopped = true;
    resume?.();
    queue.length = 0;
    await done;
  }
}
