import { Pushgateway, type Registry } from 'prom-client';
import type { Logger } from '../../logging/logger.ts';

/** Options for {@link startPushgatewayPusher}. */
export interface PushgatewayOptions {
  /** Base URL, e.g. `http://pushgateway:9091`. */
  url: string;
  /** Grouping key `instance` (the original's default was `data_egress`). */
  instance: string;
  intervalMs: number;
  registry: Registry;
  logger: Logger;
}

export interface PushgatewayPusher {
  /** Stops the schedule and makes a last push, so the final counts are not lost (behaviour §10.25). */
  stop(): Promise<void>;
}

/**
 * For parity with the original (behaviour §7.1): the whole registry is PUT to
 * `<url>/metrics/job/data-egress/instance/<instance>` every `intervalMs`. A failing push is
 * logged and retried at the next tick; it never affects egress.
 */
export function startPushgatewayPusher(options: PushgatewayOptions): PushgatewayPusher {
  const gateway = new Pushgateway(options.url.replace(/\/+$/, ''), { timeout: 5_000 }, options.registry);
  const parameters = { jobName: 'data-egress', groupings: { instance: options.instance } };
  let pushing: Promise<void> = Promise.resolve();
  const push = () => {
    pushing = gateway
      .push(parameters)
      .then(() => undefined)
      .catch((error: unknown) => {
        options.logger.warn({ err: error, url: options.url }, 'pushgateway push failed');
      });
    return pushing;
  };
  const timer = setInterval(push, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await pushing;
      await push();
    },
  };
}
