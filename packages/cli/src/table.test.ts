import { describe, expect, it } from 'vitest';
import { dash, hostPort, renderPairs, renderTable } from './table.js';

describe('renderTable', () => {
  it('aligns columns two spaces apart with no trailing spaces', () => {
    const out = renderTable(
      ['ID', 'ADDRESS', 'ZONE'],
      [
        ['web-1', '10.0.0.5:8080', 'eu-1'],
        ['w2', '[::1]:80', ''],
      ],
    );
    expect(out).toBe(
      'ID     ADDRESS        ZONE\n' + //
        'web-1  10.0.0.5:8080  eu-1\n' +
        'w2     [::1]:80\n',
    );
  });
  it('prints only the header for no rows', () => {
    expect(renderTable(['A', 'B'], [])).toBe('A  B\n');
  });
});

describe('small formatters', () => {
  it('renderPairs aligns keys', () => {
    expect(
      renderPairs([
        ['a', '1'],
        ['long', '2'],
      ]),
    ).toBe('a     1\nlong  2\n');
  });
  it('dash and hostPort', () => {
    expect([dash(undefined), dash(null), dash(''), dash(0), dash('x')]).toEqual(['-', '-', '-', '0', 'x']);
    expect(hostPort('10.0.0.1', 80)).toBe('10.0.0.1:80');
    expect(hostPort('fe80::1', 80)).toBe('[fe80::1]:80');
  });
});
