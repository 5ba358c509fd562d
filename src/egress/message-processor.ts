import { performance } from 'node:perf_hooks';
import type { Logger } from '../logging/logger.ts';
import { describeFailure } from '../util/describe-failure.ts';
import { parseS3EventMessage } from './consumer/s3-event.ts';
import { decisionFor } from './errors.ts';
import type { EgressEventBus, RuleSummary } from './observability/events.ts';
import { dateStamps } from './plan/dates.ts';
import { egressRule, type RuleEgressDependencies } from './rule-egress.ts';
import { matchFlags } from './rules/matching.ts';
import type { RuleRepository } from './rules/repository.ts';
import { describeRuleKey } from './rules/rule.ts';

/** An SQS message as the processor needs it. */
export interface QueueMessage {
  readonly messageId: string;
  readonly body: string | undefined;
  /** `ApproximateReceiveCount` (1 on first delivery). */
  readonly receiveCount: number;
}

/** What to do with a message once processed. */
export interface MessageVerdict {
  /** `delete`: acknowledge; `retain`: leave for redelivery; `dead-letter`: never processable. */
  readonly action: 'delete' | 'retain' | 'dead-letter';
  /** Short machine-readable reason: `completed`, `failed`, `no-match`, `test-event`, … */
  readonly reason: string;
  /** Human detail (failure messages). */
  readonly detail?: string | undefined;
  readonly flagKeys: readonly string[];
  readonly rules: readonly RuleSummary[];
  readonly durationMs: number;
}

/** Options for {@link MessageProcessor}. */
export interface MessageProcessorOptions {
  rules: RuleRepository;
  egress: RuleEgressDependencies;
  events: EgressEventBus;
  logger: Logger;
  /** IANA zone of the date placeholders. */
  timeZone: string;
  /** The clock; read ONCE per message. */
  clock?: () => Date;
}

/**
 * Turns one SQS message into transfers (behaviour §1.4, with the fixes of §10):
 * parse the S3 event → one table scan → match every flag key → run every matched rule (each rule
 * once even if several flags match it) → decide. The message is deleted only when every object of
 * every matching rule (and its control file and manifest) succeeded; a flag that matches no rule is
 * deleted with a warning naming the key.
 */
export class MessageProcessor {
  private readonly clock: () => Date;

  constructor(private readonly options: MessageProcessorOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  async process(message: QueueMessage, signal: AbortSignal): Promise<MessageVerdict> {
    const started = performance.now();
    const correlationId = message.messageId;
    const logger = this.options.logger.child({ correlationId, messageId: message.messageId });
    // Debug-level phase marks: docs/performance.md's latency breakdown is read from them.
    logger.debug({ receiveCount: message.receiveCount }, 'message received');
    const verdict = (
      action: MessageVerdict['action'],
      reason: string,
      extra: Partial<Pick<MessageVerdict, 'detail' | 'flagKeys' | 'rules'>> = {},
    ): MessageVerdict => ({
      action,
      reason,
      detail: extra.detail,
      flagKeys: extra.flagKeys ?? [],
      rules: extra.rules ?? [],
      durationMs: performance.now() - started,
    });

    let parsed: ReturnType<typeof parseS3EventMessage>;
    try {
      parsed = parseS3EventMessage(message.body);
    } catch (error) {
      const detail = describeFailure(error);
      // The body is not logged: it may be large or hostile. Its id and the reason are enough to find it in the DLQ.
      logger.error({ reason: detail }, 'malformed message');
      return verdict(decisionFor(error) === 'dead-letter' ? 'dead-letter' : 'retain', 'malformed', {
        detail,
      });
    }
    if (parsed.kind === 'test-event') {
      logger.info('s3:TestEvent acknowledged');
      return verdict('delete', 'test-event');
    }
    for (const record of parsed.ignored) {
      logger.info(
        { record: record.index, key: record.key, eventName: record.eventName, reason: record.reason },
        'S3 event record ignored',
      );
    }
    const flagKeys = parsed.flags.map((flag) => flag.key);
    if (flagKeys.length === 0) return verdict('delete', 'no-flags');

    let ruleSet: Awaited<ReturnType<RuleRepository['load']>>;
    try {
      ruleSet = await this.options.rules.load(signal);
    } catch (error) {
      const detail = describeFailure(error);
      logger.error({ reason: detail }, 'could not read routing rules; message left for retry');
      return verdict('retain', 'rules-unavailable', { detail, flagKeys });
    }

    logger.debug(
      { rules: ruleSet.rules.length, ms: Math.round(performance.now() - started) },
      'rules loaded',
    );

    // One "now" for the whole message: every placeholder and stamp agrees (behaviour §10.12).
    const stamps = dateStamps(this.clock(), this.options.timeZone);
    const matches = matchFlags(ruleSet, flagKeys, stamps);
    for (const { flagKey, invalid } of matches.invalidMatches) {
      logger.warn(
        {
          key: flagKey,
          sourcePrefix: invalid.key.sourcePrefix,
          pipelineName: invalid.key.pipelineName,
          reason: invalid.reason,
        },
        'flag matches an invalid routing item, which takes no action',
      );
    }
    for (const flagKey of matches.unmatchedFlags) {
      logger.warn({ key: flagKey, date: stamps.isoDate }, 'no routing rule matches flag');
      this.options.events.emit('flag_unmatched', { correlationId, key: flagKey });
    }
    if (matches.rules.length === 0) return verdict('delete', 'no-match', { flagKeys });

    logger.info(
      { flags: flagKeys, rules: matches.rules.map((resolved) => describeRuleKey(resolved.rule.key)) },
      'egressing matched rules',
    );
    const outcomes = await Promise.all(
      matches.rules.map((resolved) =>
        egressRule(this.options.egress, resolved, {
          correlationId,
          messageId: message.messageId,
          signal,
          logger,
        }),
      ),
    );
    const rules = outcomes.map((outcome) => outcome.summary);
    const failed = rules.filter((summary) => !summary.succeeded);
    if (signal.aborted) {
      return verdict('retain', 'stopping', {
        detail: 'service stopped before the message finished',
        flagKeys,
        rules,
      });
    }
    if (failed.length > 0) {
      const detail = failed
        .map((summary) => `${describeRuleKey(summary.rule)}: ${summary.failure}`)
        .join('; ');
      // Each failed rule as a record, so a log reader (an operator's query, the chaos runner's
      // child workers) learns which rule failed, why, and whether anything was transferred first.
      logger.warn(
        {
          failedRules: failed.map((summary) => ({
            rule: describeRuleKey(summary.rule),
            failure: summary.failure,
            objectsSent: summary.objectsSent,
            objectsFailed: summary.objectsFailed,
          })),
          detail,
        },
        'message left for retry: not every object succeeded',
      );
      return verdict('retain', 'failed', { detail, flagKeys, rules });
    }
    return verdict('delete', 'completed', { flagKeys, rules });
  }
}
