// The library API: a typed ctnetlink client, the model, and the formatters that reproduce conntrack's output.

export { ConntrackClient } from './ctnetlink/client.js';
export type { CtClient, DumpOptions, RawFlowHandler } from './ctnetlink/client.js';
export type { ClientOptions } from './ctnetlink/client.js';
export type { NetnsSpec } from './netlink/netns.js';
export { Batch } from './ctnetlink/batch.js';
export type { BatchOptions, StopSignal } from './ctnetlink/batch.js';
export type { FlowInput, FlowSpec, TupleInput } from './ctnetlink/flow-spec.js';
export type { Transport } from './ctnetlink/transport.js';
export type { DumpFilter, DumpTable, ExpectSpec, U32Filter } from './ctnetlink/requests.js';
export { ExpectOperations } from './ctnetlink/expect-ops.js';
export type { ExpectHandler, Requester } from './ctnetlink/expect-ops.js';
export type { Expect } from './ctnetlink/expect.js';
export type { TupleTemplate } from './ctnetlink/template.js';
export type { Flow, Tuple, Counters, TcpInfo, SctpInfo, DccpInfo, SeqAdj, CpuStats, GlobalStats, MessageKind } from './ctnetlink/model.js';
export { decodeFlow } from './ctnetlink/decode.js';
export { subscribeEvents, EventStream, flowEventKind, openEventStream, subscriptionGroups } from './ctnetlink/event-stream.js';
export type { SubscribeOptions, EventStreamHandlers, EventSubscription, EventSource } from './ctnetlink/event-stream.js';
export * as constants from './ctnetlink/constants.js';
export { formatFlowDefault } from './format/default.js';
export type { FlowFormat } from './format/default.js';
export { formatFlowXml, XML_HEADER, XML_FOOTER } from './format/xml.js';
export { formatFlowSave } from './format/save.js';
export { flowJson, formatFlowJson } from './format/json.js';
export { Tally } from './format/tally.js';
export { systemClock, fixedClock } from './format/clock.js';
export type { Clock } from './format/clock.js';
export { loadLabelMap, parseLabelMap } from './format/labelmap.js';
export type { LabelMap } from './format/labelmap.js';
export { NetlinkError } from './netlink/socket.js';
export { bytesOf, textOf } from './netlink/text.js';
// selecting entries as conntrack does, from a query of plain fields (what `conntrack -L/-D/-E` options resolve to)
export { allFlows } from './filter/query.js';
export type { FlowQuery, Network, NatQuery } from './filter/query.js';
export { compileFilter, compileUpdateFilter } from './filter/userspace.js';
export type { FlowFilter } from './filter/userspace.js';
export { kernelDumpFilter } from './filter/kernel.js';
export type { OutputSpec } from './format/output.js';
