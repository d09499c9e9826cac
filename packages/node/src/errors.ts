// The error catalogue of @ringleader/node: every code the data plane, the configuration loader
// and the admin API report, its meaning and HTTP status. docs/errors.md documents each code (section "Node"); a test keeps the two in step.
import { type CatalogueErrorFactory, catalogueError } from '@ringleader/core';

export const NODE_ERRORS = {
  RL_NO_BACKEND: { status: 503, message: 'no eligible backend' },
  RL_UPSTREAM_CONNECT: { status: 502, message: 'could not connect to a backend' },
  RL_UPSTREAM_RESET: { status: 502, message: 'backend closed the connection before responding' },
  RL_UPSTREAM_TIMEOUT: { status: 504, message: 'backend did not respond in time' },
  RL_UPSTREAM_ERROR: { status: 502, message: 'backend request failed' },
  RL_NOT_LEADER: { status: 503, message: 'this node does not proxy right now' },
  RL_LEADER_UNREACHABLE: { status: 503, message: 'could not forward the request to the leader' },
  RL_HEADERS_TOO_LARGE: { status: 431, message: 'request headers are larger than the limit' },
  RL_TOO_MANY_HEADERS: { status: 431, message: 'request has more header fields than the limit' },
  RL_BODY_TOO_LARGE: { status: 413, message: 'request body is larger than the limit' },
  RL_CLIENT_TIMEOUT: { status: 408, message: 'the client did not send the request in time' },
  RL_BAD_REQUEST: { status: 400, message: 'malformed or ambiguous request' },
  RL_METHOD_NOT_ALLOWED: { status: 405, message: 'method is not proxied' },
  RL_INTERNAL: { status: 500, message: 'unexpected error in the proxy' },
  RL_CLIENT_ABORTED: { status: 499, message: 'the client closed the connection while sending the body' },
  RL_LEASE_LOST: { status: 503, message: 'the serving permit became void before the request was written' },
  RL_UNFENCED: { status: 503, message: 'a request reached the upstream without a serving permit' },
  RL_TLS_RELOAD_FAILED: {
    status: 500,
    message: 'TLS key or certificate refused; the pair in force is kept',
  },
  // The TCP plane (plane/tcp): a TCP client gets a closed connection, never a body; the code is
  // what the debug log and the access log's `code` name.
  RL_TCP_NO_BACKEND: { status: 503, message: 'no eligible backend for the TCP connection' },
  RL_TCP_CONNECT_FAILED: { status: 502, message: 'could not connect the TCP connection to a backend' },
  RL_TCP_QUEUE_TIMEOUT: { status: 503, message: 'every eligible backend stayed at its connection cap' },
  RL_TCP_FENCED: { status: 503, message: 'the serving permit became void; the TCP connection was closed' },
  RL_TCP_FORWARD_FAILED: { status: 503, message: 'could not relay the TCP connection to the leader' },
  RL_TCP_PROXY_HEADER: { status: 400, message: 'the client sent no valid PROXY protocol header in time' },
  // Configuration and admin API (docs/errors.md, "Node (configuration and admin API)").
  RL_BAD_NODE_CONFIG: { status: 400, message: 'invalid node configuration' },
  RL_LISTEN_FAILED: { status: 500, message: 'a listener of the node could not bind its address' },
  RL_ADMIN_UNAUTHORISED: { status: 401, message: 'a valid bearer token is required for this action' },
  RL_ADMIN_LOOPBACK_ONLY: {
    status: 403,
    message: 'no admin.token is set: mutating admin endpoints are accepted from loopback only',
  },
  RL_ADMIN_NOT_FOUND: { status: 404, message: 'no such admin endpoint' },
  RL_ADMIN_ERROR: { status: 500, message: 'admin action failed' },
  RL_ADMIN_BUSY: { status: 503, message: 'too many dashboard streams open on this node' },
  RL_SERVICE_BIND_FAILED: { status: 500, message: 'a service listener could not bind its port' },
  RL_SERVICE_PORT_CLASH: { status: 500, message: 'two services want the same port' },
  RL_SERVICE_UNSUPPORTED: { status: 500, message: 'this node does not serve the protocol of a service' },
  // Data-plane worker threads (workers/): what the log names.
  RL_WORKER_CRASHED: { status: 500, message: 'a data-plane worker thread exited; it is restarted' },
} as const;

export type NodeErrorCode = keyof typeof NODE_ERRORS;

export const nodeError: CatalogueErrorFactory<NodeErrorCode> = catalogueError(NODE_ERRORS);

/** The JSON body every data-plane error response carries: `{ code, message }`. */
export function errorBody(code: NodeErrorCode, detail: string): string {
  return JSON.stringify({ code, message: `${NODE_ERRORS[code].message}: ${detail}` });
}
