import { pino } from 'pino';
import type { Logger } from './logger.js';

/**
 * The daemon's logger: structured JSON lines on stdout (for journald and log shippers),
 * readable colored lines when stdout is a terminal. Level from AGENT_HUB_LOG_LEVEL.
 */
export function createLogger(env: NodeJS.ProcessEnv = process.env): Logger & { flush?: () => void } {
  const level = env.AGENT_HUB_LOG_LEVEL ?? 'info';
  if (process.stdout.isTTY && env.AGENT_HUB_LOG_FORMAT !== 'json') {
    return pino({ level, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino({ level, base: { service: 'agent-hub' }, timestamp: pino.stdTimeFunctions.isoTime });
}
