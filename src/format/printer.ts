// Picks the formatter for a command's output mask, as conntrack's callbacks do (mnl_nfct_dump_cb and friends):
// -o save wins, then -o xml (header before the first entry, footer at the end), else the default line.

import type { ParsedCommand } from '../cli/parse.js';
import { OUT } from '../cli/commands.js';
import type { Flow, MessageKind } from '../ctnetlink/model.js';
import type { CommandContext } from '../commands/context.js';
import { FlowFormat, writeFlowDefault } from './default.js';
import { formatFlowJson } from './json.js';
import { formatFlowSave } from './save.js';
import { formatFlowXml, XML_FOOTER, XML_HEADER } from './xml.js';

/** Which conntrack callback's rules apply: -L/-G print with -o ktimestamp; -L/-G/-U print labels (1.4.8's -U does), -D does not. */
export type PrintMode = 'list' | 'get' | 'delete' | 'update';

export interface FlowPrinter {
  flow(f: Flow, kind?: MessageKind): void;
  /** after the last entry: the XML footer when a header was printed (not for -G, as conntrack) */
  end(): void;
}

export function flowPrinter(cmd: ParsedCommand, ctx: CommandContext, mode: PrintMode): FlowPrinter {
  const mask = cmd.outputMask;
  const out = ctx.out;
  if (mask & OUT.SAVE) {
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
  if (mask & OUT.JSON) {
    return {
      flow(f, kind = 'unknown') {
        out.write(formatFlowJson(f, kind, cmd.labelmap) + '\n');
      },
      end() {},
    };
  }
  const fmt: FlowFormat = {
    extended: (mask & OUT.EXT) !== 0,
    id: (mask & OUT.ID) !== 0,
    ktimestamp: (mode === 'list' || mode === 'get') && (mask & OUT.KTMS) !== 0,
    labels: mode !== 'delete' ? cmd.labelmap : undefined,
  };
  if (mask & OUT.XML) {
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
