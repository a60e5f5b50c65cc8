// The usage line's argv[0]: a script cannot see the name it was invoked by, so the bare name is printed when a
// PATH lookup of it finds this very script, and the path otherwise (README "Differences from conntrack 1.4.7").

import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { invokedName } from '../../src/cli/bin.js';

const dir = mkdtempSync(join(tmpdir(), 'ct-argv0-'));
const script = join(dir, 'real', 'conntrack');
mkdirSync(join(dir, 'real'));
writeFileSync(script, '#!/bin/sh\n');
chmodSync(script, 0o755);
mkdirSync(join(dir, 'link'));
symlinkSync(script, join(dir, 'link', 'conntrack'));
mkdirSync(join(dir, 'other'));
writeFileSync(join(dir, 'other', 'conntrack'), '#!/bin/sh\n');
chmodSync(join(dir, 'other', 'conntrack'), 0o755);

describe('argv[0] of the usage line', () => {
  it('the bare name when PATH finds this script', () => expect(invokedName(script, join(dir, 'real'))).toBe('conntrack'));
  it('the bare name when PATH finds a link to it', () => expect(invokedName(script, join(dir, 'link'))).toBe('conntrack'));
  it('the path when PATH does not have it', () => expect(invokedName(script, '/nonexistent')).toBe(script));
  it('the path when PATH finds another program of that name first', () =>
    expect(invokedName(script, `${join(dir, 'other')}:${join(dir, 'real')}`)).toBe(script));
});
