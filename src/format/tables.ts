// Name tables as libnetfilter_conntrack prints them (src/conntrack/snprintf.c, proto2str / l3proto2str / states).

import { CT_DCCP, IPPROTO, SCTP_CONNTRACK, TCP_CONNTRACK } from '../ctnetlink/constants.js';
import { AF } from '../netlink/constants.js';

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
export const l3Name = (n: number): string => (n === AF.INET ? 'ipv4' : n === AF.INET6 ? 'ipv6' : 'unknown');

/** libnetfilter_conntrack's state names (its states[], sctp_states[], dccp_states[]): the kernel's enums, whole. */
export const TCP_STATES: readonly string[] = TCP_CONNTRACK;
export const SCTP_STATES: readonly string[] = SCTP_CONNTRACK;
export const DCCP_STATES: readonly string[] = CT_DCCP;

/**
 * conntrack's own protocol extensions' state tables (libct_proto_tcp.c tcp_states[], libct_proto_sctp.c
 * sctp_states[], libct_proto_dccp.c dccp_states[]): what --state accepts and -o save prints. SCTP's ends at
 * SHUTDOWN_ACK_SENT.
 */
export const EXT_TCP_STATES: readonly string[] = TCP_CONNTRACK;
export const EXT_SCTP_STATES: readonly string[] = SCTP_CONNTRACK.slice(0, SCTP_CONNTRACK.indexOf('SHUTDOWN_ACK_SENT') + 1);
export const EXT_DCCP_STATES: readonly string[] = CT_DCCP;
/** dccp_roles[] (DCCP_CONNTRACK_ROLE_CLIENT = 0, _SERVER = 1) */
export const EXT_DCCP_ROLES: readonly string[] = ['client', 'server'];

export const stateName = (table: readonly string[], n: number): string => table[n] ?? table[0];

/** The state name of a TCP, SCTP or DCCP entry; undefined for protocols without one. */
export function flowStateName(f: { tcp?: { state?: number }; sctp?: { state?: number }; dccp?: { state?: number } }): string | undefined {
  if (f.tcp?.state !== undefined) return stateName(TCP_STATES, f.tcp.state);
  if (f.sctp?.state !== undefined) return stateName(SCTP_STATES, f.sctp.state);
  if (f.dccp?.state !== undefined) return stateName(DCCP_STATES, f.dccp.state);
  return undefined;
}
