// JSON over HTTP to a node's admin API, with a deadline (Node 20's fetch).
import { CliError } from './errors.js';

export interface JsonReply {
  readonly status: number;
  readonly body: unknown;
}

export async function requestJson(
  url: string,
  opts: { method?: 'GET' | 'POST'; timeoutMs: number; token?: string },
): Promise<JsonReply> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: opts.method ?? 'GET',
      headers,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (cause) {
    throw new CliError(
      'RL_CLI_ADMIN_REQUEST',
      `${opts.method ?? 'GET'} ${url}: ${reason(cause, opts.timeoutMs)}`,
      {
        cause,
      },
    );
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the message
  }
  return { status: res.status, body };
}

function reason(cause: unknown, timeoutMs: number): string {
  const e = cause as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(cause);
}
