// The expectation table's operations (conntrack.c EXP_* through libnetfilter_conntrack's nfexp_query), over
// whatever carries requests: the client's socket, or a scripted transport in tests. One request builder each
// (requests.ts); errors are NetlinkError with the kernel's errno.

import { AF } from '../netlink/constants.js';
import { ERRNO } from '../netlink/errno.js';
import type { NfRequest } from '../netlink/framing.js';
import { MessageHandler, NetlinkError } from '../netlink/socket/nfnl-socket.js';
import { decodeExpect, type Expect } from './expect.js';
import { streamOf } from './stream.js';
import { deleteExpect, dumpExpect, ExpectSpec, flushExpect, getExpect, newExpect } from './requests.js';
import type { TupleTemplate } from './template.js';
import { type TupleInput, tupleSpecOf } from './flow-spec.js';

/**
 * A tuple of an expectation operation: the model's tuple with string addresses (`{ src: '10.0.0.1', dst:
 * '10.0.0.2', protonum: 6, srcPort: 1, dstPort: 21 }`, as dumpExpect() yields them), or the encoder's template
 * (`l3`, addresses as network-order bytes), as the command line resolves it.
 */
export type ExpectTuple = TupleInput | TupleTemplate;

/** What createExpect() takes: the family is the tuples' (AF_INET unless an address says IPv6) unless given. */
export interface ExpectInput {
  family?: number;
  tuple: ExpectTuple;
  master: ExpectTuple;
  mask: ExpectTuple;
  timeout?: number;
}

const isTupleInput = (t: ExpectTuple): t is TupleInput =>
  typeof t.src === 'string' || typeof t.dst === 'string' || ('family' in t && !('l3' in t));

/** The template of a tuple: string addresses become bytes, the family becomes its layer-3 protocol. */
function templateOf(t: ExpectTuple, family: number): TupleTemplate {
  return isTupleInput(t) ? tupleSpecOf(t, family) : t;
}

/** The family of an operation on these tuples: the one given, else the first tuple's. */
const familyOf = (given: number | undefined, ...tuples: ExpectTuple[]): number =>
  given ?? tuples.map((t) => templateOf(t, AF.INET).l3).find((l3) => l3 !== undefined && l3 !== 0) ?? AF.INET;

/** What sends one request and hands its answers over: settles on DONE or the ACK, rejects with a NetlinkError. */
export interface Requester {
  request(req: NfRequest, onMessage?: MessageHandler): Promise<void>;
}

export type ExpectHandler = (e: Expect) => void;

export class ExpectOperations {
  constructor(private readonly requester: Requester) {}

  /** Streams the expectations of one family (-L expect), decoded, in the kernel's order. */
  forEachExpect(family: number, onExpect: ExpectHandler): Promise<void> {
    return this.requester.request(dumpExpect(family), (buf, off, len) => onExpect(decodeExpect(buf, off, len)));
  }

  /**
   * The expectations of one family (AF_INET by default, as conntrack's -L expect), yielded as they arrive. The
   * dump cannot pause: what the consumer has not taken yet waits in memory (expectation tables are small).
   */
  dumpExpect(filter: { family?: number } = {}): AsyncIterable<Expect> {
    return streamOf<Expect>((push) => this.forEachExpect(filter.family ?? AF.INET, (e) => void push(e)));
  }

  /**
   * -G expect: the expectation a connection with this tuple would match (the kernel compares it with each
   * expectation's tuple under its mask; conntrack sends it as ATTR_EXP_MASTER); rejects with ENOENT when none does.
   */
  queryExpect(family: number, tuple: TupleTemplate, onExpect: ExpectHandler): Promise<void> {
    return this.requester.request(getExpect(family, tuple), (buf, off, len) => onExpect(decodeExpect(buf, off, len)));
  }

  /** The expectation a connection with this tuple would match (see queryExpect), or undefined when none does. */
  async getExpect(tuple: ExpectTuple, family?: number): Promise<Expect | undefined> {
    const f = familyOf(family, tuple);
    let found: Expect | undefined;
    try {
      await this.queryExpect(f, templateOf(tuple, f), (e) => (found ??= e));
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === ERRNO.ENOENT) return undefined;
      throw e;
    }
    return found;
  }

  /** -I expect: EEXIST when it is there already, ENOENT when its master is not. */
  createExpect(spec: ExpectSpec | ExpectInput): Promise<void> {
    const family = familyOf(spec.family, spec.tuple, spec.master);
    return this.requester.request(
      newExpect({
        family,
        tuple: templateOf(spec.tuple, family),
        master: templateOf(spec.master, family),
        mask: templateOf(spec.mask, family),
        timeout: spec.timeout,
      }),
    );
  }

  /** -D expect: the expectation with this tuple; ENOENT when there is none. */
  deleteExpect(tuple: ExpectTuple, family?: number): Promise<void> {
    const f = familyOf(family, tuple);
    return this.requester.request(deleteExpect(f, templateOf(tuple, f)));
  }

  /** -F expect: the whole expectation table (the kernel empties every family, whatever the family says). */
  flushExpect(family: number = AF.INET): Promise<void> {
    return this.requester.request(flushExpect(family));
  }

  /** -C expect: conntrack counts a dump (the kernel keeps no expectation counter it would report). */
  async expectCount(family: number = AF.INET): Promise<number> {
    let n = 0;
    await this.requester.request(dumpExpect(family), () => {
      n++;
    });
    return n;
  }
}
