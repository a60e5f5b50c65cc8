// What conntrack's parser fills in (struct ct_tmpl in conntrack.c): the template entry built from the options,
// the mask template, the expectation tuple, and the kernel filter values. Presence is data: a field is set
// exactly when conntrack would have set the attribute. It is the parser's accumulator and never leaves src/cli:
// the resolve step (resolve.ts) turns it into the typed requests the commands take (FlowQuery, FlowChange, ...).

import type { U32Filter } from '../ctnetlink/requests.js';
import type { NatSpec, TupleTemplate } from '../ctnetlink/template.js';

export type { TupleTemplate };

/** a value and the bits of it that count (-m MARK/MASK, -u with its mask) */
export type U32Mask = U32Filter;

/** ATTR_SNAT_IPV4/6 or ATTR_DNAT_IPV4/6 and ATTR_SNAT_PORT / ATTR_DNAT_PORT */
export type NatTemplate = NatSpec;

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
