// The expectation table's operations (conntrack.c EXP_* through libnetfilter_conntrack's nfexp_query), over
// whatever carries requests: the client's socket, or a scripted transport in tests. One request builder each
// (requests.ts); errors are NetlinkError with the kernel's errno.

import { AF } from '../netlink/constants.js';
import { ERRNO } from '../netlink/errno.js';
import type { NfRequest } from '../netlink/framing.js';
import { MessageHandler, NetlinkError } from '../netlink/socket.js';
import { decodeExpect, type Expect } from './expect.js';
import { deleteExpect, dumpExpect, ExpectSpec, flushExpect, getExpect, newExpect } from './requests.js';
import type { TupleTemplate } from './template.js';

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

  /** The expectations of one family (AF_INET by default, as conntrack's -L expect). */
  async *dumpExpect(filter: { family?: number } = {}): AsyncIterable<Expect> {
    const all: Expect[] = [];
    await this.forEachExpect(filter.family ?? AF.INET, (e) => all.push(e));
    yield* all;
  }

  /** Looks an expectation up by its master's tuple (-G expect); rejects with ENOENT when there is none. */
  queryExpect(family: number, master: TupleTemplate, onExpect: ExpectHandler): Promise<void> {
    return this.requester.request(getExpect(family, master), (buf, off, len) => onExpect(decodeExpect(buf, off, len)));
  }

  /** The expectation of this master tuple, or undefined when the kernel has none. */
  async getExpect(master: TupleTemplate, family: number = AF.INET): Promise<Expect | undefined> {
    let found: Expect | undefined;
    try {
      await this.queryExpect(family, master, (e) => (found ??= e));
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === ERRNO.ENOENT) return undefined;
      throw e;
    }
    return found;
  }

  /** -I expect: EEXIST when it is there already, ENOENT when its master is not. */
  createExpect(spec: ExpectSpec): Promise<void> {
    return this.requester.request(newExpect(spec));
  }

  /** -D expect: the expectation with this tuple; ENOENT when there is none. */
  deleteExpect(tuple: TupleTemplate, family: number = AF.INET): Promise<void> {
    return this.requester.request(deleteExpect(family, tuple));
  }

  /** -F expect: the whole table of one family. */
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
