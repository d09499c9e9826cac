// The fields every JSON view of a backend starts with (/status, `ringleader backend list`,
// the dashboard), so the views agree on names and on an absent zone being null.
import type { Backend } from './types.js';

export interface BackendFields {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly state: Backend['state'];
  readonly zone: string | null;
  readonly format: Backend['format'];
}

export function backendFields(b: Backend): BackendFields {
  return {
    id: b.id,
    host: b.host,
    port: b.port,
    weight: b.weight,
    state: b.state,
    zone: b.zone ?? null,
    format: b.format,
  };
}
