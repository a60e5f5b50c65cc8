import { describe, expect, it } from 'vitest';
import { formatIPv6 } from '../../src/ctnetlink/addresses.js';
import { inetAton, inetPton6, parseAddr } from '../../src/cli/inet.js';

const v6 = (s: string): string => formatIPv6(inetPton6(s)!, 0);
const v4 = (s: string): string | undefined => {
  const b = inetAton(s);
  return b ? Array.from(b).join('.') : undefined;
};

describe('IPv6 printed as glibc inet_ntop prints it', () => {
  it.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['fe80:0:0:0:1:0:0:0', 'fe80::1:0:0:0'],
    ['::', '::'],
    ['::1', '::1'],
    ['::2', '::2'],
    ['::1.2.3.5', '::1.2.3.5'],
    ['::ffff:192.0.2.18', '::ffff:192.0.2.18'],
    ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
    ['1::', '1::'],
    ['ff02::1', 'ff02::1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['0:0:1:0:0:1:0:0', '::1:0:0:1:0:0'],
  ])('%s → %s', (input, want) => expect(v6(input)).toBe(want));
});

describe('inet_aton accepts what glibc accepts', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['1.2.3', '1.2.0.3'],
    ['1', '0.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['010.0.0.1', '8.0.0.1'],
    ['1.2.3.4 foo', '1.2.3.4'],
    ['1.2.3.4x', undefined],
    ['256.1.1.1', undefined],
    ['1.2.3.4.5', undefined],
    ['08.1.1.1', undefined],
    ['', undefined],
    ['1.2.65536', undefined],
  ])('%j → %j', (input, want) => expect(v4(input)).toBe(want));
});

describe('parse_addr with CIDR', () => {
  it('splits the prefix length', () => expect(parseAddr('10.0.0.0/8', true)).toMatchObject({ family: 2, mask: 8 }));
  it('an empty prefix is /0', () => expect(parseAddr('10.0.0.0/', true)?.mask).toBe(0));
  it('rejects junk after the prefix', () => expect(parseAddr('10.0.0.0/8x', true)?.mask).toBe(-2));
  it('rejects /33 for IPv4', () => expect(parseAddr('10.0.0.0/33', true)?.mask).toBe(-2));
  it('accepts /128 for IPv6', () => expect(parseAddr('2001:db8::/128', true)).toMatchObject({ family: 10, mask: 128 }));
  it('is undefined for a name', () => expect(parseAddr('example.com', true)).toBeUndefined());
});
