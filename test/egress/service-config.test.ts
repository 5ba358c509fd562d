import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerServiceCommand } from '../../src/cli/commands/service.ts';
import { type DefaultedSetting, SERVICE_DEFAULTS } from '../../src/egress/config/defaults.ts';
import {
  EgressConfigError,
  loadEgressServiceConfig,
  resolveEgressServiceConfig,
  SETTINGS,
} from '../../src/egress/config/service-config.ts';

const QUEUE = 'http://127.0.0.1:4566/000000000000/egress';

function problemsOf(attempt: () => unknown): readonly string[] {
  try {
    attempt();
  } catch (error) {
    if (error instanceof EgressConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected an EgressConfigError');
}

describe('egress service configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadEgressServiceConfig({ env: { EGRESS_QUEUE_URL: QUEUE } });
    expect(config).toMatchObject({
      queueUrl: QUEUE,
      table: 'data-egress',
      messagesInFlight: 4,
      batchSize: 1,
      objectConcurrency: 8,
      visibilityTimeoutSeconds: 120,
      heartbeatIntervalSeconds: 30,
      waitTimeSeconds: 20,
      shutdownTimeoutMs: 30_000,
      uploadPartSizeMiB: 8,
      uploadQueueSize: 4,
      metricsPort: 9464,
      metricsHost: '127.0.0.1',
      pushgatewayIntervalMs: 20_000,
      pushgatewayInstance: 'data_egress',
      timeZone: 'UTC',
      ruleCacheTtlMs: 0,
      dks: {},
      aws: { region: 'eu-west-2' },
    });
    expect(config.deadLetterQueueUrl).toBeUndefined();
    expect(config.sftRoot).toBeUndefined();
    expect(config.pushgatewayUrl).toBeUndefined();
  });

  it.each([
    // [env, field, expected]
    [{ AWS_SQS_QUEUE_URL: QUEUE }, 'queueUrl', QUEUE],
    [{ sqs_url: QUEUE }, 'queueUrl', QUEUE],
    [{ EGRESS_QUEUE_URL: QUEUE, AWS_SQS_QUEUE_URL: 'http://other/q' }, 'queueUrl', QUEUE],
    [{ AWS_DATA_EGRESS_TABLE: 'rules' }, 'table', 'rules'],
    [{ EGRESS_TIME_ZONE: 'Europe/London', TZ: 'Asia/Tokyo' }, 'timeZone', 'Europe/London'],
    [{ TZ: 'Asia/Tokyo' }, 'timeZone', 'Asia/Tokyo'],
    [{ METRICS_PUSHGATEWAY_HOST: 'pushgateway' }, 'pushgatewayUrl', 'http://pushgateway:9091'],
    [
      { METRICS_PUSHGATEWAY_HOST: 'pg', METRICS_PUSHGATEWAY_PORT: '19091' },
      'pushgatewayUrl',
      'http://pg:19091',
    ],
    [{ EGRESS_PUSHGATEWAY_URL: 'http://a:1', METRICS_PUSHGATEWAY_HOST: 'b' }, 'pushgatewayUrl', 'http://a:1'],
    [{ EGRESS_METRICS_PORT: '0' }, 'metricsPort', 0],
    [{}, 'compressionLevel', 6],
    [{ EGRESS_COMPRESSION_LEVEL: '1' }, 'compressionLevel', 1],
    [{ EGRESS_SFT_ROOT: 'relative/root' }, 'sftRoot', path.resolve('relative/root')],
    [{ EGRESS_MESSAGES_IN_FLIGHT: '' }, 'messagesInFlight', 4],
  ])('%j → %s = %j', (env, field, expected) => {
    const config = loadEgressServiceConfig({ env: { EGRESS_QUEUE_URL: QUEUE, ...env } });
    expect(config[field as keyof typeof config]).toEqual(expected);
  });

  it.each([
    [{ DKS_URL: 'https://dks:8443' }, { url: 'https://dks:8443' }],
    [{ dks_url: 'https://dks:8443' }, { url: 'https://dks:8443' }],
    [
      {
        EGRESS_DKS_URL: 'https://a:1',
        EGRESS_DKS_CA: '/ca.pem',
        EGRESS_DKS_CERT: '/c.pem',
        EGRESS_DKS_KEY: '/k.pem',
      },
      { url: 'https://a:1', caPath: '/ca.pem', certPath: '/c.pem', keyPath: '/k.pem' },
    ],
  ])('DKS settings %j', (env, dks) => {
    expect(loadEgressServiceConfig({ env: { EGRESS_QUEUE_URL: QUEUE, ...env } }).dks).toEqual(dks);
  });

  it('lets flags win over the environment', () => {
    const config = loadEgressServiceConfig({
      env: { EGRESS_QUEUE_URL: QUEUE, EGRESS_METRICS_PORT: '1000' },
      flags: { metricsPort: '2000', table: 'flag-table', dksUrl: 'https://flag:1' },
    });
    expect(config).toMatchObject({ metricsPort: 2000, table: 'flag-table', dks: { url: 'https://flag:1' } });
  });

  it('takes the AWS target from the environment', () => {
    const config = loadEgressServiceConfig({
      env: { EGRESS_QUEUE_URL: QUEUE, AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_REGION: 'us-east-1' },
    });
    expect(config.aws).toEqual({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:4566',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });

  it.each([
    [{}, {}, 'EGRESS_QUEUE_URL (or --queue-url): is required'],
    [{ EGRESS_QUEUE_URL: 'not a url' }, {}, 'EGRESS_QUEUE_URL: must be a URL, got "not a url"'],
    [{ sqs_url: 'nope' }, {}, 'sqs_url: must be a URL'],
    [{ EGRESS_MESSAGES_IN_FLIGHT: 'many' }, {}, 'EGRESS_MESSAGES_IN_FLIGHT: must be a number, got "many"'],
    [{ EGRESS_BATCH_SIZE: '11' }, {}, 'EGRESS_BATCH_SIZE: must be at most 10'],
    [{ EGRESS_WAIT_TIME_SECONDS: '0' }, {}, 'EGRESS_WAIT_TIME_SECONDS: must be at least 1'],
    [{ EGRESS_OBJECT_CONCURRENCY: '2.5' }, {}, 'EGRESS_OBJECT_CONCURRENCY: must be a whole number'],
    [{ EGRESS_UPLOAD_PART_SIZE_MIB: '4' }, {}, 'EGRESS_UPLOAD_PART_SIZE_MIB: must be at least 5'],
    [{ EGRESS_METRICS_PORT: '70000' }, {}, 'EGRESS_METRICS_PORT: must be at most 65535'],
    [{ EGRESS_COMPRESSION_LEVEL: '0' }, {}, 'EGRESS_COMPRESSION_LEVEL: must be at least 1'],
    [{ EGRESS_COMPRESSION_LEVEL: 'fast' }, {}, 'EGRESS_COMPRESSION_LEVEL: must be a number, got "fast"'],
    [{ TZ: 'Mars/Base' }, {}, 'TZ: unknown time zone "Mars/Base"'],
    [{ DKS_URL: 'dks' }, {}, 'DKS_URL: must be a URL'],
    [{}, { metricsPort: 'x' }, '--metrics-port: must be a number'],
    [
      { EGRESS_VISIBILITY_TIMEOUT_SECONDS: '10', EGRESS_HEARTBEAT_INTERVAL_SECONDS: '10' },
      {},
      'EGRESS_HEARTBEAT_INTERVAL_SECONDS: must be less than visibilityTimeoutSeconds (10), got 10',
    ],
  ])('env %j flags %j → "%s"', (env, flags, problem) => {
    const base =
      'EGRESS_QUEUE_URL' in env || 'sqs_url' in env || Object.keys(env).length === 0
        ? {}
        : { EGRESS_QUEUE_URL: QUEUE };
    const problems = problemsOf(() => loadEgressServiceConfig({ env: { ...base, ...env }, flags }));
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining(problem)]));
  });

  it('validates programmatic configuration too, naming the field', () => {
    const problems = problemsOf(() =>
      resolveEgressServiceConfig({ aws: { region: 'eu-west-2' }, queueUrl: QUEUE, batchSize: 0 }),
    );
    expect(problems).toEqual(['batchSize: must be at least 1']);
  });

  it('documents every variable and flag in docs/egress-service.md', () => {
    const docs = readFileSync(path.join(import.meta.dirname, '../../docs/egress-service.md'), 'utf8');
    for (const setting of SETTINGS) {
      for (const name of [...setting.env, ...(setting.flag ? [setting.flag] : [])])
        expect(docs, name).toContain(`\`${name}\``);
    }
  });
});

describe('service defaults, written once in SERVICE_DEFAULTS', () => {
  const fields = Object.keys(SERVICE_DEFAULTS) as DefaultedSetting[];

  it('are what the schema applies', () => {
    const config = resolveEgressServiceConfig({ aws: { region: 'eu-west-2' }, queueUrl: QUEUE });
    expect(Object.fromEntries(fields.map((field) => [field, config[field]]))).toEqual(SERVICE_DEFAULTS);
  });

  it.each(fields)(
    '%s: its default is shown in `egress service --help` and docs/egress-service.md',
    (field) => {
      const program = new Command();
      registerServiceCommand(program);
      const service = program.commands.find((command) => command.name() === 'service')!;
      const help = service.configureHelp({ helpWidth: 10_000 }).helpInformation();
      const setting = SETTINGS.find((candidate) => candidate.field === field)!;
      const value = String(SERVICE_DEFAULTS[field]);
      expect(setting.default).toBe(value);
      const helpLine = help.split('\n').find((line) => line.includes(`${setting.flag} <value>`));
      expect(helpLine, setting.flag).toContain(`default ${value}]`);
      const docs = readFileSync(path.join(import.meta.dirname, '../../docs/egress-service.md'), 'utf8');
      const docsRow = docs.split('\n').find((line) => line.includes(`| \`${setting.flag}\``));
      expect(docsRow, setting.flag).toMatch(new RegExp(`\\|\\s*\`${value.replaceAll('.', '\\.')}\`\\s*\\|`));
    },
  );
});
