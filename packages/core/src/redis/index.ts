export { type RespCommand, RespCommandParser } from './command-parser.js';
export { arrayItems, decodeReply, type RespValue } from './decode.js';
export { RESP_OK, RESP_PONG, resp } from './encode.js';
export { hashTag } from './hash-tag.js';
export { RESP_DEFAULT_LIMITS, type RespErrorCode, type RespLimits, RespProtocolError } from './limits.js';
export { RespReplyReader } from './reply-reader.js';
