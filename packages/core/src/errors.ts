// The error catalogue of @ringleader/core: every code, its meaning and HTTP status.
// docs/errors.md documents each code; a test keeps the two in step.

export const CORE_ERRORS = {
  RL_BAD_JSON: { status: 400, message: 'payload is not valid JSON' },
  RL_PAYLOAD_TOO_LARGE: { status: 413, message: 'payload is larger than the limit' },
  RL_BAD_BACKEND_PAYLOAD: { status: 400, message: 'backend payload is invalid' },
  RL_BAD_BACKEND_ID: { status: 400, message: 'backend id is invalid' },
  RL_BAD_CONFIG: { status: 400, message: 'cluster config is invalid' },
  RL_UNKNOWN_POLICY: { status: 400, message: 'unknown routing policy' },
  RL_BAD_HASH_SOURCE: { status: 400, message: 'hash source is invalid' },
  RL_BAD_SERVICE: { status: 400, message: 'service definition is invalid' },
  RL_BAD_PROXY_HEADER: { status: 400, message: 'PROXY protocol header is invalid' },
  RL_RESP_BAD_TYPE: { status: 400, message: 'RESP input has an unexpected type byte' },
  RL_RESP_BAD_LENGTH: { status: 400, message: 'RESP length is not a valid integer' },
  RL_RESP_MISSING_CRLF: { status: 400, message: 'RESP element is not terminated by CRLF' },
  RL_RESP_TOO_LARGE: { status: 413, message: 'RESP element is larger than the limit' },
  RL_RESP_TOO_MANY_ARGS: { status: 413, message: 'RESP array has more elements than the limit' },
  RL_RESP_TOO_DEEP: { status: 400, message: 'RESP reply nests deeper than the limit' },
  RL_RESP_BAD_INLINE: { status: 400, message: 'RESP inline command is malformed' },
  RL_RESP_UNEXPECTED_REPLY: { status: 502, message: 'RESP reply is not of the expected type' },
} as const;

export type CoreErrorCode = keyof typeof CORE_ERRORS;

/**
 * The one error type of ringleader. `code` is stable (documented, matched by
 * scripts); `field` names the offending field and `path` the znode or file.
 */
export class RingleaderError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  readonly path: string | undefined;
  readonly status: number;

  constructor(
    code: string,
    message: string,
    opts: { field?: string; path?: string; status?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RingleaderError';
    this.code = code;
    this.field = opts.field;
    this.path = opts.path;
    this.status = opts.status ?? 400;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, field: this.field, path: this.path };
  }
}

/** What a catalogued error may say besides its code and detail; the status is the catalogue's. */
export interface CatalogueErrorOptions {
  field?: string;
  path?: string;
  cause?: unknown;
}

export type CatalogueErrorFactory<Code extends string> = (
  code: Code,
  detail: string,
  opts?: CatalogueErrorOptions,
) => RingleaderError;

/**
 * The factory of a package's error catalogue: `factory(code, detail)` is a RingleaderError
 * with the code's status and the message `<catalogue message>: <detail>`.
 */
export function catalogueError<Code extends string>(
  catalogue: Readonly<Record<Code, { readonly status: number; readonly message: string }>>,
): CatalogueErrorFactory<Code> {
  return (code, detail, opts = {}) => {
    const entry = catalogue[code];
    return new RingleaderError(code, `${entry.message}: ${detail}`, { ...opts, status: entry.status });
  };
}

export const coreError: CatalogueErrorFactory<CoreErrorCode> = catalogueError(CORE_ERRORS);
