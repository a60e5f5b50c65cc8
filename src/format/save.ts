// `-o save`: the entry as conntrack command-line options (conntrack.c ct_save_snprintf() and the protocol
// extensions' print_opts tables). Marks and labels are not saved, as in conntrack 1.4.7.

import { IPPROTO, IPS } from '../ctnetlink/constants.js';
import type { Flow, MessageKind, Tuple } from '../ctnetlink/model.js';
import { AF } from '../netlink/constants.js';
import { EXT_DCCP_ROLES, EXT_DCCP_STATES, EXT_SCTP_STATES, EXT_TCP_STATES } from './tables.js';

const PREFIX: Record<MessageKind, string> = { unknown: '', new: '-A ', update: '-U ', destroy: '-D ' };

/** conntrack_status_map: status bits by bit index that -u can name. */
const STATUS_NAMES: Array<[bit: number, name: string]> = [
  [0, 'EXPECTED'],
  [1, 'SEEN_REPLY'],
  [2, 'ASSURED'],
  [10, 'FIXED_TIMEOUT'],
];

// The protocol extensions' own state tables: SCTP's ends at SHUTDOWN_ACK_SENT, so the heartbeat states print
// through a NULL pointer, which glibc's printf writes as "(null)".
const named = (table: readonly string[], n: number): string => table[n] ?? '(null)';

/** nfct_getobjopt(NFCT_GOPT_IS_SNAT): SNAT done (or status unknown) and reply dst differs from orig src. */
export function isSnat(f: Flow): boolean {
  if (f.status !== undefined && !(f.status & IPS.SRC_NAT_DONE)) return false;
  return addrDiffers(f, f.reply?.dst, f.orig?.src);
}

/** nfct_getobjopt(NFCT_GOPT_IS_DNAT) */
export function isDnat(f: Flow): boolean {
  if (f.status !== undefined && !(f.status & IPS.DST_NAT_DONE)) return false;
  return addrDiffers(f, f.reply?.src, f.orig?.dst);
}

function addrDiffers(f: Flow, a: string | undefined, b: string | undefined): boolean {
  const fam = f.orig ? f.family : 0;
  if (fam === 2) return (a ?? '0.0.0.0') !== (b ?? '0.0.0.0');
  if (fam === AF.INET6) return (a ?? '::') !== (b ?? '::');
  return false;
}

function ports(s: string[], o: Tuple | undefined, r: Tuple | undefined, names: [string, string, string, string]): void {
  if (o?.srcPort !== undefined) s.push(names[0], String(o.srcPort));
  if (o?.dstPort !== undefined) s.push(names[1], String(o.dstPort));
  if (r?.srcPort !== undefined) s.push(names[2], String(r.srcPort));
  if (r?.dstPort !== undefined) s.push(names[3], String(r.dstPort));
}

const PORT_NAMES: [string, string, string, string] = ['--sport', '--dport', '--reply-port-src', '--reply-port-dst'];

/**
 * Formats an entry in save syntax. Returns the line, or undefined with `warning` set when the layer-3 protocol
 * is not IPv4/IPv6 (conntrack then prints an empty line after its warning).
 */
export function formatFlowSave(f: Flow, kind: MessageKind): { line: string; warning?: string } {
  const s: string[] = [];
  const prefix = PREFIX[kind];
  if (f.timeout !== undefined) s.push('-t', String(f.timeout));
  if (f.status !== undefined) {
    const names = STATUS_NAMES.filter(([bit]) => f.status! & (1 << bit)).map(([, n]) => n);
    s.push('-u', names.length ? names.join(',') : 'UNSET');
  }
  if (f.secmark !== undefined) s.push('-c', String(f.secmark));
  if (f.zone !== undefined) s.push('-w', String(f.zone));
  if (f.orig?.zone !== undefined) s.push('--orig-zone', String(f.orig.zone));
  if (f.reply?.zone !== undefined) s.push('--reply-zone', String(f.reply.zone));

  const l3 = f.orig ? f.family : f.reply ? f.family : 0;
  if (l3 !== 2 && l3 !== 10) {
    // conntrack returns early here, before trimming: the caller prints what the buffer holds so far, the
    // prefix and the generic options, each with its trailing space.
    return { line: prefix + s.map((x) => x + ' ').join(''), warning: `WARNING: unsupported l3proto ${l3}, skipping.\n` };
  }
  const o = f.orig;
  const r = f.reply;
  if (o?.src !== undefined) s.push('-s', o.src);
  if (o?.dst !== undefined) s.push('-d', o.dst);
  if (r?.src !== undefined) s.push(isDnat(f) ? '-g' : '-r', r.src);
  if (r?.dst !== undefined) s.push(isSnat(f) ? '-n' : '-q', r.dst);

  const p = o?.protonum ?? 0;
  switch (p) {
    case IPPROTO.TCP:
      s.push('-p', 'tcp');
      ports(s, o, r, PORT_NAMES);
      if (f.tcp?.state !== undefined) s.push('--state', named(EXT_TCP_STATES, f.tcp.state));
      break;
    case IPPROTO.UDP:
    case IPPROTO.UDPLITE:
      s.push('-p', p === IPPROTO.UDP ? 'udp' : 'udplite');
      ports(s, o, r, PORT_NAMES);
      break;
    case IPPROTO.SCTP:
      s.push('-p', 'sctp');
      ports(s, o, r, PORT_NAMES);
      if (f.sctp?.state !== undefined) s.push('--state', named(EXT_SCTP_STATES, f.sctp.state));
      if (f.sctp?.vtagOrig !== undefined) s.push('--orig-vtag', String(f.sctp.vtagOrig));
      if (f.sctp?.vtagReply !== undefined) s.push('--reply-vtag', String(f.sctp.vtagReply));
      break;
    case IPPROTO.DCCP:
      s.push('-p', 'dccp');
      ports(s, o, r, PORT_NAMES);
      if (f.dccp?.state !== undefined) s.push('--state', named(EXT_DCCP_STATES, f.dccp.state));
      if (f.dccp?.role !== undefined) s.push('--role', named(EXT_DCCP_ROLES, f.dccp.role));
      break;
    case IPPROTO.ICMP:
    case IPPROTO.ICMPV6: {
      const v6 = p === IPPROTO.ICMPV6 ? 'v6' : '';
      // ATTR_ICMP_* are set by either tuple but read from the original one
      const type = o?.icmpType ?? (r?.icmpType !== undefined ? 0 : undefined);
      const code = o?.icmpCode ?? (r?.icmpCode !== undefined ? 0 : undefined);
      const id = o?.icmpId ?? (r?.icmpId !== undefined ? 0 : undefined);
      s.push('-p', p === IPPROTO.ICMP ? 'icmp' : 'icmpv6');
      if (type !== undefined) s.push(`--icmp${v6}-type`, String(type));
      if (code !== undefined) s.push(`--icmp${v6}-code`, String(code));
      if (id !== undefined) s.push(`--icmp${v6}-id`, String(id));
      break;
    }
    case IPPROTO.GRE:
      s.push('-p', 'gre');
      ports(s, o, r, ['--srckey', '--dstkey', '--reply-key-src', '--reply-key-dst']);
      break;
    default:
      s.push('-p', String(p));
  }
  return { line: prefix + s.join(' ') };
}
