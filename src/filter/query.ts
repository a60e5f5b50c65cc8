// What a command selects entries by, as plain typed fields: the input of the userspace filter (userspace.ts)
// and of what is pushed down to the kernel (kernel.ts). The command line resolves into it (cli/resolve.ts);
// a library user builds one directly. Presence is data: an absent field selects nothing out.

import type { U32Filter } from '../ctnetlink/requests.js';
import type { NatSpec, TupleTemplate } from '../ctnetlink/template.js';

/** A network an address must fall in: (address & mask) == net, byte by byte. */
export interface Network {
  /** AF_INET or AF_INET6: entries of the other family are not in it */
  family: number;
  /** the network's address, already masked */
  net: Uint8Array;
  mask: Uint8Array;
}

/**
 * -n / -g / -j (conntrack.c filter_nat()): which NAT an entry must have, with the address and port it must
 * have been translated to when given.
 */
export interface NatQuery {
  /** 'src': source NAT; 'dst': destination NAT; 'both': both (-n -g); 'either': one of them (-j) */
  kind: 'src' | 'dst' | 'both' | 'either';
  snat?: NatSpec;
  dnat?: NatSpec;
}

export interface FlowQuery {
  /** AF_INET or AF_INET6; AF_UNSPEC (0): both */
  family: number;
  /**
   * The original tuple the entry must have (libnetfilter_conntrack's ATTR_ORIG_*): l3, protocol, ports, the ICMP
   * fields, the zone, and the exact addresses (an address given as a network is under `networks` instead).
   */
  orig: TupleTemplate;
  /** the reply tuple, the same way (its ICMP fields are not compared: those live on the original tuple) */
  reply: TupleTemplate;
  /** the networks the original source / destination address must fall in (CIDR, --mask-src, --mask-dst) */
  networks: { src?: Network; dst?: Network };
  /**
   * Whether the entry is compared with the template at all (nfct_cmp): conntrack compares only when one of its
   * comparison options was given (CT_COMPARISON), so `-D -t 30` alone deletes every entry.
   */
  compare: boolean;
  /** the fields compared when `compare` is set */
  id?: number;
  timeout?: number;
  /** status bits that must all be set (nfct_cmp's test) */
  status?: number;
  tcpState?: number;
  sctpState?: number;
  dccpState?: number;
  /** the entry's zone (0 when it has none) */
  zone?: number;
  /** (status & mask) == value, the kernel's status filter (ctnetlink_filter_match_status) */
  statusFilter?: U32Filter;
  /** (mark & mask) == value; an entry without a mark does not match */
  mark?: U32Filter;
  /** label bits that must all be set */
  labels?: number[];
  nat?: NatQuery;
}

/** A query that selects every entry of a family. */
export function allFlows(family = 0): FlowQuery {
  return { family, orig: {}, reply: {}, networks: {}, compare: false };
}
