import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * bullmq and ioredis, loaded the first time a queue is used, through require (their
 * CommonJS builds, one copy for every module here): a hub that runs everything locally
 * never pays their ~30 MB of memory and their loading time at each start.
 */
export const bullmq = (): typeof import('bullmq') => require('bullmq') as typeof import('bullmq');
export const ioredis = (): typeof import('ioredis') => require('ioredis') as typeof import('ioredis');
