// Keeps docs/configuration.md's table of keys in step with the schema (schema.ts): every key,
// its environment variable (and `<VAR>_FILE` for secrets) and its default.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_LEAVES, type ConfigLeaf } from './schema.js';

interface DocRow {
  readonly keys: string[];
  readonly envs: string[];
  readonly defaultCell: string;
}

const ticks = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);

function docRows(): DocRow[] {
  const doc = readFileSync(new URL('../../../../docs/configuration.md', import.meta.url), 'utf8');
  const rows: DocRow[] = [];
  for (const line of doc.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cells = line.split(' | ').map((c) => c.replace(/^\| /, '').trim());
    const [key = '', env = '', def = ''] = cells;
    rows.push({
      keys: ticks(key),
      envs: ticks(env).filter((e) => e.startsWith('RINGLEADER_')),
      defaultCell: def,
    });
  }
  return rows;
}

/** The default as the docs write it: from the schema itself (what it yields for an absent key). */
function schemaDefault(leaf: ConfigLeaf): string {
  if (leaf.meta.default !== undefined) return `\`${String(leaf.meta.default)}\``;
  const r = leaf.schema.safeParse(undefined);
  if (!r.success) return leaf.inOptionalSection ? 'none' : 'required';
  const v = r.data as unknown;
  if (v === undefined) return 'none';
  if (typeof v === 'object' && v !== null && 'host' in v && 'port' in v) return `\`${v.host}:${v.port}\``;
  return `\`${Array.isArray(v) ? JSON.stringify(v) : String(v)}\``;
}

describe('docs/configuration.md', () => {
  const rows = docRows();
  const rowOf = new Map(rows.flatMap((r) => r.keys.map((k) => [k, r] as const)));

  it('lists exactly the schema keys', () => {
    const schemaKeys = CONFIG_LEAVES.map((l) => l.key);
    const missing = schemaKeys.filter((k) => !rowOf.has(k));
    const extra = [...rowOf.keys()].filter((k) => !schemaKeys.includes(k));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  });

  it('names each key’s environment variable (and the _FILE variable of a secret)', () => {
    const wrong: string[] = [];
    for (const row of rows) {
      const leaves = CONFIG_LEAVES.filter((l) => row.keys.includes(l.key));
      const want = leaves.flatMap((l) =>
        l.meta.secretFile ? [l.meta.env, `${l.meta.env}_FILE`] : [l.meta.env],
      );
      if (JSON.stringify([...want].sort()) !== JSON.stringify([...row.envs].sort()))
        wrong.push(`${row.keys.join(', ')}: docs say ${row.envs.join(', ')}, the schema ${want.join(', ')}`);
    }
    expect(wrong).toEqual([]);
  });

  it('gives each key the schema’s default', () => {
    const wrong: string[] = [];
    for (const leaf of CONFIG_LEAVES) {
      const cell = rowOf.get(leaf.key)?.defaultCell;
      if (cell === undefined) continue; // reported by the first test
      const want = schemaDefault(leaf);
      // Free text (e.g. "the listen host") describes a default computed at start-up.
      const ok = cell === want || (want === 'none' && !cell.startsWith('`') && cell !== 'required');
      if (!ok) wrong.push(`${leaf.key}: docs say ${cell}, the schema ${want}`);
    }
    expect(wrong).toEqual([]);
  });
});
