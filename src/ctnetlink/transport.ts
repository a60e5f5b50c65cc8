// What the client uses of a netlink socket. NfnlSocket (src/netlink/socket/nfnl-socket.ts) is the kernel-backed one; a
// scripted transport in the tests answers from captured kernel datagrams, so every operation runs without root.

import type { NfRequest } from '../netlink/framing.js';
import type { MessageHandler } from '../netlink/socket/nfnl-socket.js';
import type { Requester } from './expect-ops.js';

export interface Transport extends Requester {
  /** One request: settles on NLMSG_DONE (dump), on the ACK (NLM_F_ACK), or after the first reply's datagram. */
  request(req: NfRequest, onMessage?: MessageHandler): Promise<void>;
  /** A dump received on a worker thread; a handler's promise pauses the dump until it settles. */
  requestThreaded(req: NfRequest, onMessage: MessageHandler, tuning?: { recvBufferSize?: number }): Promise<void>;
  /** A sequence number for a message encoded by the caller (sendBatch). */
  allocSeq(): number;
  /** Pre-encoded messages in one datagram; resolves with each one's errno (0: done), in order. */
  sendBatch(msgs: Buffer, seqs: number[], handlers?: Array<MessageHandler | undefined>): Promise<number[]>;
  /**
   * sendBatch, its answers read before it returns where the transport can (handlers run meanwhile): each one's
   * errno; else sendBatch's promise. Without it, Batch uses sendBatch.
   */
  sendBatchNow?(msgs: Buffer, seqs: number[], handlers?: Array<MessageHandler | undefined>): number[] | Promise<number[]>;
  getRecvBufferSize(): number;
  close(): void;
}
