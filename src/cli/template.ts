// What conntrack's parser fills in (struct ct_tmpl in conntrack.c): the template entry built from the options,
// the mask template, the expectation tuple, and the kernel filter values. Presence is data: a field is set
// exactly when conntrack would have set the attribute.

/** One tuple's worth of template attributes (ATTR_ORIG_* / ATTR_REPL_*). */
export interface TupleTemplate {
  /** ATTR_*_L3PROTO */
  l3?: number;
  /** address bytes in network order: 4 for IPv4, 16 for IPv6 */
  src?: Uint8Array;
  dst?: Uint8Array;
  /** ATTR_*_L4PROTO */
  protonum?: number;
  /** ATTR_*_PORT_SRC / _DST, host order (GRE keys too) */
  srcPort?: number;
  dstPort?: number;
  /** ATTR_ICMP_TYPE / _CODE / _ID (libnetfilter_conntrack keeps them on the original tuple) */
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  /** ATTR_ORIG_ZONE / ATTR_REPL_ZONE */
  zone?: number;
}

export interface U32Mask {
  value: number;
  mask: number;
}

export interface NatTemplate {
  /** ATTR_SNAT_IPV4/6 or ATTR_DNAT_IPV4/6 */
  addr?: Uint8Array;
  /** ATTR_SNAT_PORT / ATTR_DNAT_PORT, host order */
  port?: number;
}

export interface Template {
  orig: TupleTemplate;
  reply: TupleTemplate;
  /** tmpl->mask: netmasks from CIDR / --mask-src / --mask-dst, port masks */
  mask: TupleTemplate;
  /** tmpl->exptuple: the expectation's tuple (--tuple-src/--tuple-dst/--tuple-port-*) */
  exptuple: TupleTemplate;
  timeout?: number;
  status?: number;
  /** -m MARK[/MASK] */
  mark?: U32Mask;
  secmark?: number;
  id?: number;
  zone?: number;
  tcpState?: number;
  /** TCP flags final_check adds for create/add (BE_LIBERAL | SACK_PERM [| CLOSE_INIT]), both directions */
  tcpFlags?: number;
  sctpState?: number;
  sctpVtagOrig?: number;
  sctpVtagReply?: number;
  dccpState?: number;
  dccpRole?: number;
  snat?: NatTemplate;
  dnat?: NatTemplate;
  /** -l: label bits that must all be set */
  label?: Set<number>;
  /** --label-add / --label-del NAMES: the bits to add or remove */
  labelModify?: Set<number>;
  /** mark filter for the kernel dump request (CTA_MARK + CTA_MARK_MASK) */
  filterMarkKernel?: U32Mask;
  /** status filter for the kernel dump request (CTA_STATUS + CTA_STATUS_MASK) */
  filterStatusKernel?: U32Mask;
}

export function emptyTemplate(): Template {
  return { orig: {}, reply: {}, mask: {}, exptuple: {} };
}
