// Picks the formatter for a command's output (its -o flags), as conntrack's callbacks do (mnl_nfct_dump_cb and friends):
// -o save, -o json, -o xml (header before the first entry, footer at the end), else the default line.

import type { Flow, MessageKind } from '../ctnetlink/model.js';
import type { Clock } from './clock.js';
import { FlowFormat, writeFlowDefault } from './default.js';
import { formatFlowJson } from './json.js';
import type { OutputSpec } from './output.js';
import type { TextOut } from './sink.js';
import { formatFlowSave } from './save.js';
import { formatFlowXml, XML_FOOTER, XML_HEADER } from './xml.js';

/** Which conntrack callback's rules apply: -L/-G print with -o ktimestamp; -L/-G/-U print labels (1.4.8's -U does), -D does not. */
export type PrintMode = 'list' | 'get' | 'delete' | 'update';

export interface FlowPrinter {
  flow(f: Flow, kind?: MessageKind): void;
  /** after the last entry: the XML footer when a header was printed (not for -G, as conntrack) */
  end(): void;
}

/** Where a printer writes: the lines, stderr for warnings (after the lines so far are flushed), the clock. */
export interface PrintTarget {
  out: TextOut;
  err: (s: string) => void;
  clock: Clock;
}

export function flowPrinter(spec: OutputSpec, ctx: PrintTarget, mode: PrintMode): FlowPrinter {
  const out = ctx.out;
  if (spec.format === 'save') {
    const saveKind: MessageKind = mode === 'delete' ? 'destroy' : 'new';
    return {
      flow(f) {
        const r = formatFlowSave(f, saveKind);
        if (r.warning) {
          out.flush();
          ctx.err(r.warning);
        }
        out.write(r.line + '\n');
      },
      end() {},
    };
  }
  if (spec.format === 'json') {
    const labelmap = spec.labelmap;
    return {
      flow(f, kind = 'unknown') {
        out.write(formatFlowJson(f, kind, labelmap) + '\n');
      },
      end() {},
    };
  }
  const fmt: FlowFormat = {
    extended: spec.extended,
    id: spec.id,
    ktimestamp: (mode === 'list' || mode === 'get') && spec.ktimestamp,
    labels: mode !== 'delete' ? spec.labelmap : undefined,
  };
  if (spec.format === 'xml') {
    let headerDone = false;
    const withHeader = mode === 'list' || mode === 'get';
    return {
      flow(f, kind = 'unknown') {
        if (withHeader && !headerDone) {
          headerDone = true;
          out.write(XML_HEADER);
        }
        out.write(formatFlowXml(f, kind, fmt, ctx.clock) + '\n');
      },
      end() {
        if (headerDone && mode === 'list') out.write(XML_FOOTER);
      },
    };
  }
  return {
    flow(f, kind = 'unknown') {
      writeFlowDefault(out, f, kind, fmt, ctx.clock);
      out.write('\n');
    },
    end() {},
  };
}
