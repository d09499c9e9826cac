export { type RespCommand, RespCommandParser } from './command-parser.js';
export { COMMAND_SPECS, type CommandSpec, type KeySpec } from './command-table.js';
export { arrayItems, decodeReply, type RespValue } from './decode.js';
export { RESP_OK, RESP_PONG, resp } from './encode.js';
export { hashTag } from './hash-tag.js';
export {
  RESP_DEFAULT_LIMITS,
  type RespErrorCode,
  type RespLimits,
  RespProtocolError,
} from './limits.js';
export { type LocalReply, type LocalState, localReply, PROXY_REDIS_VERSION } from './local.js';
export { RespReplyReader } from './reply-reader.js';
export { type CommandRoute, crossOwnerReply, routeCommand, sharedOwner } from './route.js';
export { mergeSplit, planSplit, type SplitPart } from './split.js';
