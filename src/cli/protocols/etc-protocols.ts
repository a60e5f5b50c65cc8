// getprotobyname()/getprotobynumber() over /etc/protocols, as glibc's nss_files backend reads it (files-proto.c).

import { readFileSync } from 'node:fs';
import { TEXT } from '../../text.js';
import { strtoul } from '../cnum.js';

export interface ProtoEnt {
  name: string;
  proto: number;
  aliases: string[];
}

export const isCSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

/** Reads a protocols file the way glibc's files backend does; a missing/unreadable file has no entries. */
export function readProtocols(file: string): ProtoEnt[] {
  let text: string;
  try {
    text = readFileSync(file, TEXT);
  } catch {
    return [];
  }
  const out: ProtoEnt[] = [];
  for (const raw of text.split('\n')) {
    // skip leading blanks; empty and comment lines are ignored
    let i = 0;
    while (isCSpace(raw[i])) i++;
    let line = raw.slice(i);
    if (line === '' || line[0] === '#') continue;
    // LINE_PARSER("#", ...): the line ends at the first '#'
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    // STRING_FIELD(p_name, isspace, 1)
    let p = 0;
    while (p < line.length && !isCSpace(line[p])) p++;
    const name = line.slice(0, p);
    while (isCSpace(line[p])) p++;
    // INT_FIELD(p_proto, isspace, 1, 10, ): strtoul base 10, must end at a blank or the end of the line
    const rest = line.slice(p);
    const [v, end] = strtoul(rest, 10);
    if (end === 0) continue;
    if (end < rest.length && !isCSpace(rest[end])) continue;
    const proto = Number(BigInt.asIntN(32, BigInt.asUintN(32, v)));
    // TRAILING_LIST_PARSER: aliases separated by blanks
    const aliases = rest
      .slice(end)
      .split(/[ \t\n\v\f\r]+/)
      .filter((s) => s !== '');
    out.push({ name, proto, aliases });
  }
  return out;
}

export const DEFAULT_PROTOCOLS = '/etc/protocols';

/** getprotobyname(name): first entry whose name or an alias equals name (strcmp, case-sensitive) */
export function getProtoByName(name: string, file: string): ProtoEnt | undefined {
  return readProtocols(file).find((e) => e.name === name || e.aliases.includes(name));
}

/** getprotobynumber(n)?.p_name, as extension_help uses it for the unknown handler */
export function protoNameByNumber(n: number, protocolsFile: string = DEFAULT_PROTOCOLS): string | undefined {
  return readProtocols(protocolsFile).find((e) => e.proto === n)?.name;
}

/** parse_proto_num(): strtoul(str, &end, 0), must consume everything and be <= IPPROTO_RAW (255); else -1 */
export function parseProtoNum(str: string): number {
  const [val, end] = strtoul(str, 0);
  if (val > 255n || end === 0 || end !== str.length) return -1;
  return Number(val);
}
