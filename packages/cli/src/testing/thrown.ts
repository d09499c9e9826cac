// For unit tests that check what a call throws field by field (code, field, exit code) rather
// than its message alone.

export interface Thrown {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly exitCode?: number;
}

/** What `f` throws; fails the test when it returns. */
export function thrown(f: () => unknown): Thrown {
  try {
    f();
  } catch (e) {
    return e as Thrown;
  }
  throw new Error('expected a throw');
}
