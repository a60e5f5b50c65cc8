// Name tables as libnetfilter_conntrack prints them (src/conntrack/snprintf.c, proto2str / l3proto2str / states).

import { IPPROTO } from '../ctnetlink/constants.js';

const PROTO_NAMES: Record<number, string> = {
  [IPPROTO.TCP]: 'tcp',
  [IPPROTO.UDP]: 'udp',
  [IPPROTO.UDPLITE]: 'udplite',
  [IPPROTO.ICMP]: 'icmp',
  [IPPROTO.ICMPV6]: 'icmpv6',
  [IPPROTO.SCTP]: 'sctp',
  [IPPROTO.GRE]: 'gre',
  [IPPROTO.DCCP]: 'dccp',
};

/** __proto2str: a known layer-4 name, else "unknown" (even when /etc/protocols knows the number). */
export const protoName = (n: number): string => PROTO_NAMES[n] ?? 'unknown';

/** __l3proto2str */
export const l3Name = (n: number): string => (n === 2 ? 'ipv4' : n === 10 ? 'ipv6' : 'unknown');

/** TCP conntrack states 0..9 (states[] in libnetfilter_conntrack). */
export const TCP_STATES = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
] as const;

export const SCTP_STATES = [
  'NONE',
  'CLOSED',
  'COOKIE_WAIT',
  'COOKIE_ECHOED',
  'ESTABLISHED',
  'SHUTDOWN_SENT',
  'SHUTDOWN_RECD',
  'SHUTDOWN_ACK_SENT',
  'HEARTBEAT_SENT',
  'HEARTBEAT_ACKED',
] as const;

export const DCCP_STATES = [
  'NONE',
  'REQUEST',
  'RESPOND',
  'PARTOPEN',
  'OPEN',
  'CLOSEREQ',
  'CLOSING',
  'TIMEWAIT',
  'IGNORE',
  'INVALID',
] as const;

export const stateName = (table: readonly string[], n: number): string => table[n] ?? table[0];

/** The state name of a TCP, SCTP or DCCP entry; undefined for protocols without one. */
export function flowStateName(f: {
  tcp?: { state?: number };
  sctp?: { state?: number };
  dccp?: { state?: number };
}): string | undefined {
  if (f.tcp?.state !== undefined) return stateName(TCP_STATES, f.tcp.state);
  if (f.sctp?.state !== undefined) return stateName(SCTP_STATES, f.sctp.state);
  if (f.dccp?.state !== undefined) return stateName(DCCP_STATES, f.dccp.state);
  return undefined;
}
