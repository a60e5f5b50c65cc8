// Batch over a transport that reads a datagram's answers as it sends it (sendBatchNow, as the modifier socket
// does): the answers are handled before send() returns, in datagram order behind any datagram still unanswered.

import { describe, expect, it } from 'vitest';
import { Batch } from '../../src/ctnetlink/batch.js';
import type { Transport } from '../../src/ctnetlink/transport.js';

/** A transport answering at once (each seq's errno from `errnos`, 0 by default) unless `later` is set. */
function transport(errnos: Map<number, number> = new Map()) {
  let seq = 0;
  const now: number[][] = [];
  const async: Array<{ seqs: number[]; answer: () => void }> = [];
  const answer = (seqs: number[]) => seqs.map((s) => errnos.get(s) ?? 0);
  const t = {
    later: false,
    allocSeq: () => ++seq,
    getRecvBufferSize: () => 1 << 20,
    sendBatch(_msgs: Buffer, seqs: number[]): Promise<number[]> {
      return new Promise((resolve) => async.push({ seqs, answer: () => resolve(answer(seqs)) }));
    },
    sendBatchNow(msgs: Buffer, seqs: number[]): number[] | Promise<number[]> {
      if (t.later) return t.sendBatch(msgs, seqs);
      now.push(seqs);
      return answer(seqs);
    },
  };
  return { t, sock: t as unknown as Transport, now, async };
}

const queue = (b: Batch, n: number): Batch => {
  for (let i = 0; i < n; i++) b.deleteEncoded(2, new Uint8Array(0));
  return b;
};

describe('Batch with answers read at once', () => {
  it('handles the answers, then afterAnswers, before send() returns; nothing to wait for', () => {
    const { sock, now } = transport(new Map([[2, 2]]));
    const log: string[] = [];
    const b = new Batch(sock, { afterAnswers: () => log.push('after') });
    const w = queue(b, 3).send((r) => void log.push(`answers ${r.join(',')}`));
    expect(w).toBeUndefined();
    expect(now).toEqual([[1, 2, 3]]);
    expect(log).toEqual(['answers 0,2,0', 'after']);
  });

  it('behind a datagram still unanswered, the next one waits its turn (answers stay in datagram order)', async () => {
    const x = transport();
    const log: string[] = [];
    const b = new Batch(x.sock, { maxUnanswered: 8, afterAnswers: () => log.push('after') });
    x.t.later = true;
    // the first datagram is not answered at once: it goes the promise's way (and, before any afterAnswers has
    // worked, the dump is to wait for it)
    expect(queue(b, 2).send(() => void log.push('first'))).toBeInstanceOf(Promise);
    x.t.later = false;
    void queue(b, 2).send(() => void log.push('second'));
    expect(x.now).toEqual([]);
    expect(x.async.map((a) => a.seqs)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(log).toEqual([]);
    x.async[0].answer();
    x.async[1].answer();
    await b.finish();
    expect(log).toEqual(['first', 'after', 'second', 'after']);
    // with nothing in flight, at once again
    void queue(b, 1).send(() => void log.push('third'));
    expect(x.now).toEqual([[5]]);
  });

  it('an afterAnswers that throws ends the batch: nothing more is sent', async () => {
    const { sock, now } = transport();
    const e = new Error('EPIPE');
    const b = new Batch(sock, {
      afterAnswers: () => {
        throw e;
      },
    });
    void queue(b, 1).send();
    expect(b.ended).toBe(true);
    expect(queue(b, 1).send()).toBeUndefined();
    expect(now).toEqual([[1]]);
    await expect(b.finish()).rejects.toBe(e);
  });
});
