// How a command prints what it shows: the typed form of conntrack's -o flags (its output mask). The command
// line resolves into it (cli/resolve.ts); the printers (printer.ts, the -E and expectation printers) read it.

import type { LabelMap } from './labelmap.js';

export interface OutputSpec {
  /** -o save, -o json, -o xml, or conntrack's default line (they exclude each other) */
  format: 'default' | 'xml' | 'save' | 'json';
  /** -o extended: the layer-3 name and number first */
  extended: boolean;
  /** -o timestamp: -E's event time (a prefix, an XML element or a JSON key); the expectation list's too */
  timestamp: boolean;
  /** -o id */
  id: boolean;
  /** -o ktimestamp: the kernel's start and stop times (-L, -G and -E) */
  ktimestamp: boolean;
  /** the label map, when one was loaded (-o labels, -l, --label-add, --label-del): labels print by name */
  labelmap?: LabelMap;
}
