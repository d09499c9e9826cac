export type { LinkAuth } from './link.js';
export {
  createRedisListener,
  DEFAULT_LINKS_PER_BACKEND,
  DEFAULT_MAX_PIPELINE,
  REDIS_TICK_MS,
} from './listener.js';
export type { RedisListener, RedisListenerOptions, RedisListenerStats } from './types.js';
