// The fencing promise, checked where it matters: at the backends. Every fixture backend keeps
// the `x-ringleader-epoch` of each request it received with its CLOCK_MONOTONIC arrival time,
// so a suite that moves leadership can merge them over all backends and ask two questions:
// did any request arrive unstamped, and (active-passive, where one leader at a time admits)
// did any request arrive with an older epoch after one with a newer epoch?
import type { LocalBackend } from '@ringleader/launcher';

export interface Arrival {
  readonly backend: string;
  readonly epoch: number | null;
  /** Monotonic ms when the backend received it. */
  readonly at: number;
}

/** Every proxied request the backends received (since the last reset), in order of arrival. */
export async function arrivals(backends: readonly LocalBackend[], reset = false): Promise<Arrival[]> {
  const all = await Promise.all(
    backends.map(async (b) => {
      const res = await fetch(`${b.url}/__epochs${reset ? '?reset=1' : ''}`, {
        signal: AbortSignal.timeout(3000),
      });
      const body = (await res.json()) as { epochs: (number | null)[]; at?: number[] };
      if (!Array.isArray(body.at) || body.at.length !== body.epochs.length)
        throw new Error(`backend ${b.id}: /__epochs has no arrival times (old fixture?)`);
      return body.epochs.map((epoch, i) => ({ backend: b.id, epoch, at: body.at![i]! }));
    }),
  );
  return all.flat().sort((a, b) => a.at - b.at);
}

/**
 * Readable violations of the fencing promise (empty when it held): each unstamped arrival and,
 * with `ordered` (active-passive), each arrival whose epoch is below one that arrived earlier.
 */
export function fencingViolations(all: readonly Arrival[], opts: { ordered: boolean }): string[] {
  const out: string[] = [];
  const t0 = all[0]?.at ?? 0;
  let highest: Arrival | undefined;
  for (const a of all) {
    const when = `+${(a.at - t0).toFixed(1)} ms at ${a.backend}`;
    if (a.epoch === null) {
      out.push(`${when}: a request with no x-ringleader-epoch`);
      continue;
    }
    if (opts.ordered && highest !== undefined && a.epoch < (highest.epoch ?? 0)) {
      out.push(
        `${when}: epoch ${a.epoch} after epoch ${highest.epoch} (+${(highest.at - t0).toFixed(1)} ms at ${highest.backend})`,
      );
    }
    if (highest === undefined || a.epoch > (highest.epoch ?? -1)) highest = a;
  }
  return out.slice(0, 20);
}

/** The backends' arrivals since the last reset, checked; throws naming the violations. */
export async function fencingHeld(
  backends: readonly LocalBackend[],
  opts: { ordered: boolean },
): Promise<{ requests: number; epochs: number[]; violations: string[] }> {
  const all = await arrivals(backends);
  const epochs = [...new Set(all.map((a) => a.epoch).filter((e): e is number => e !== null))].sort(
    (a, b) => a - b,
  );
  return { requests: all.length, epochs, violations: fencingViolations(all, opts) };
}
