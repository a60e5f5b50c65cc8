// One request builder per ctnetlink operation, with its netlink flags spelled out.

import { AttrNode, u32be } from '../netlink/attributes.js';
import { AF, NFNL_SUBSYS, NLM_F } from '../netlink/constants.js';
import type { NfRequest } from '../netlink/framing.js';
import { CTA, IPCTNL_MSG_CT, IPCTNL_MSG_EXP } from './constants.js';

export interface U32Filter {
  value: number;
  mask: number;
}

/** What the kernel can filter a conntrack dump by (nf_conntrack_netlink.c ctnetlink_start/ctnetlink_filter_match). */
export interface DumpFilter {
  /** nfgen_family: AF_UNSPEC dumps both families (kernel >= 4.20 filters by it) */
  family?: number;
  /** CTA_MARK + CTA_MARK_MASK */
  mark?: U32Filter;
  /** CTA_STATUS + CTA_STATUS_MASK (kernel >= 5.15) */
  status?: U32Filter;
}

export type DumpTable = 'conntrack' | 'dying' | 'unconfirmed';

/**
 * IPCTNL_MSG_CT_GET with NLM_F_DUMP (or GET_CTRZERO to zero counters while dumping, GET_DYING / GET_UNCONFIRMED
 * for the other lists). Filter attributes as libnetfilter_conntrack's nfct_nlmsg_build_filter() puts them.
 */
export function dumpConntrack(filter: DumpFilter = {}, table: DumpTable = 'conntrack', zero = false): NfRequest {
  const msg =
    table === 'dying'
      ? IPCTNL_MSG_CT.GET_DYING
      : table === 'unconfirmed'
        ? IPCTNL_MSG_CT.GET_UNCONFIRMED
        : zero
          ? IPCTNL_MSG_CT.GET_CTRZERO
          : IPCTNL_MSG_CT.GET;
  const attrs: AttrNode[] = [];
  if (table === 'conntrack') {
    if (filter.mark) attrs.push(u32be(CTA.MARK, filter.mark.value), u32be(CTA.MARK_MASK, filter.mark.mask));
    if (filter.status) attrs.push(u32be(CTA.STATUS, filter.status.value), u32be(CTA.STATUS_MASK, filter.status.mask));
  }
  return { subsys: NFNL_SUBSYS.CTNETLINK, msg, flags: NLM_F.DUMP, family: filter.family ?? AF.UNSPEC, attrs };
}

/** IPCTNL_MSG_CT_GET_STATS: the global counters (entries, max). conntrack sends it with no flags but REQUEST. */
export function getGlobalStats(): NfRequest {
  return { subsys: NFNL_SUBSYS.CTNETLINK, msg: IPCTNL_MSG_CT.GET_STATS, flags: 0, family: AF.UNSPEC };
}

/** IPCTNL_MSG_CT_GET_STATS_CPU, a dump: one message per possible CPU. */
export function dumpCpuStats(): NfRequest {
  return { subsys: NFNL_SUBSYS.CTNETLINK, msg: IPCTNL_MSG_CT.GET_STATS_CPU, flags: NLM_F.DUMP, family: AF.UNSPEC };
}

/** IPCTNL_MSG_EXP_GET_STATS_CPU, a dump. */
export function dumpExpectCpuStats(): NfRequest {
  return { subsys: NFNL_SUBSYS.CTNETLINK_EXP, msg: IPCTNL_MSG_EXP.GET_STATS_CPU, flags: NLM_F.DUMP, family: AF.UNSPEC };
}
