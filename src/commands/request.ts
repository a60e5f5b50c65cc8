// What each command takes: one typed request per command, resolved from the command line by cli/resolve.ts
// (or built by a program). Commands read nothing else of argv: no option bits, no parser template.

import type { DumpTable, U32Filter } from '../ctnetlink/requests.js';
import type { EntrySpec, TupleTemplate } from '../ctnetlink/template.js';
import type { FlowQuery } from '../filter/query.js';
import type { OutputSpec } from '../format/output.js';
import type { TallyKey } from '../format/tally.js';

/** -L: the entries of a table that match, printed or counted (--tally). */
export interface ListRequest {
  kind: 'list';
  /** the dying and unconfirmed lists are dumped whole: conntrack applies no option to them */
  table: DumpTable;
  query: FlowQuery;
  /** -z: the counters are zeroed as they are read */
  zero: boolean;
  output: OutputSpec;
  /** --tally KEYS [--top N]: counted per key instead of printed */
  tally?: { keys: readonly TallyKey[]; top?: number };
}

/** -D: every matching entry is deleted and printed. */
export interface DeleteRequest {
  kind: 'delete';
  query: FlowQuery;
  output: OutputSpec;
}

/** -G: the entry with the query's tuples, printed when it also matches the rest of the query. */
export interface GetRequest {
  kind: 'get';
  query: FlowQuery;
  output: OutputSpec;
}

/** The protocol states and flags an entry is given (tcpFlags only to TCP entries). */
export type ProtoInfoChange = Pick<EntrySpec, 'tcpState' | 'tcpFlags' | 'sctpState' | 'sctpVtagOrig' | 'sctpVtagReply' | 'dccpState'>;

/**
 * What -U sets on each entry it selects; an entry already so is left alone. Presence is data: an absent
 * field is not changed.
 */
export interface FlowChange extends ProtoInfoChange {
  timeout?: number;
  /** status bits OR'ed on (1.4.8) */
  status?: number;
  /** the new mark is (old & ~mask) ^ value */
  mark?: U32Filter;
  /** --label-add: these label bits are set */
  addLabels?: ReadonlySet<number>;
  /** --label-del: these label bits are cleared; 'all' (no names given) clears every label */
  deleteLabels?: ReadonlySet<number> | 'all';
}

/** -U: every entry the query selects gets the change, and is printed. */
export interface UpdateRequest {
  kind: 'update';
  query: FlowQuery;
  change: FlowChange;
  output: OutputSpec;
}

/** -I (exclusive: fails when the entry exists) and -A (creates, or updates an existing entry). */
export interface CreateRequest {
  kind: 'create';
  /** nfgen_family of the message */
  family: number;
  flow: EntrySpec;
  exclusive: boolean;
}

/** -F: the conntrack table of a family (AF_UNSPEC: both) is emptied. */
export interface FlushRequest {
  kind: 'flush';
  family: number;
}

/** Which event kinds -E receives (-e NEW,UPDATES,DESTROY). */
export interface EventKinds {
  new: boolean;
  update: boolean;
  destroy: boolean;
}

/** -E [expect]: the live events, filtered by the query (conntrack table only), until the process is stopped. */
export interface EventsRequest {
  kind: 'events';
  table: 'conntrack' | 'expect';
  query: FlowQuery;
  events: EventKinds;
  /** -b: the receive buffer size asked for (its NOTICE is printed when given, whatever the size) */
  bufferSize?: number;
  /** false: no socket filter, userspace filters everything (CONNTRACK_KERNEL_FILTER=off) */
  kernelFilter?: boolean;
  /**
   * false: the receiver process reads even when the socket filter decides everything (CONNTRACK_KERNEL_FILTER=receiver,
   * to compare with the in-process reader)
   */
  inProcess?: boolean;
  output: OutputSpec;
}

/** -C, -S and -S expect: counts and statistics, of both families. */
export interface StatsRequest {
  kind: 'count' | 'stats' | 'expect-stats';
}

/** -L expect */
export interface ExpectListRequest {
  kind: 'expect-list';
  family: number;
  output: OutputSpec;
}

/** -C expect and -F expect */
export interface ExpectTableRequest {
  kind: 'expect-count' | 'expect-flush';
  family: number;
}

/** -G expect: looked up by the master tuple given with -s -d -p (conntrack hands its template as the master). */
export interface ExpectGetRequest {
  kind: 'expect-get';
  family: number;
  master: TupleTemplate;
  output: OutputSpec;
}

/** -D expect: the expectation with the tuple given with -s -d -p. */
export interface ExpectDeleteRequest {
  kind: 'expect-delete';
  family: number;
  tuple: TupleTemplate;
}

/** -I expect: the expected tuple, its master, its mask, and the timeout. */
export interface ExpectCreateRequest {
  kind: 'expect-create';
  family: number;
  tuple: TupleTemplate;
  master: TupleTemplate;
  mask: TupleTemplate;
  timeout?: number;
}

/** --watch (our addition): a live summary of the table. */
export interface WatchRequest {
  kind: 'watch';
}

export type CommandRequest =
  | ListRequest
  | DeleteRequest
  | GetRequest
  | UpdateRequest
  | CreateRequest
  | FlushRequest
  | EventsRequest
  | StatsRequest
  | ExpectListRequest
  | ExpectTableRequest
  | ExpectGetRequest
  | ExpectDeleteRequest
  | ExpectCreateRequest
  | WatchRequest;
