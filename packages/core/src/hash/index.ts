export { keyOf, randomHash, requestHash } from './key.js';
export { xxh32, xxh32Bytes } from './xxh32.js';
