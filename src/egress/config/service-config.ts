import path from 'node:path';
import { z } from 'zod';
import { type AwsTarget, awsTargetFromEnv, awsTargetSchema } from '../../aws/target.ts';
import { isValidTimeZone } from '../plan/dates.ts';
import { SERVICE_DEFAULTS } from './defaults.ts';

/*
 * The egress service's configuration: one zod schema holds every limit and applies the defaults
 * of SERVICE_DEFAULTS; env variables and CLI flags are mapped onto it by the SETTINGS table below,
 * which also feeds the CLI options and their help, and the documentation table (docs/egress-service.md).
 */

/** A whole number in range; numeric strings (env vars, flags) are converted, anything else is reported as given. */
const integer = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value),
    z
      .number({ error: (issue) => `must be a number, got ${JSON.stringify(issue.input)}` })
      .int({ error: 'must be a whole number' })
      .min(min, { error: `must be at least ${min}` })
      .max(max, { error: `must be at most ${max}` }),
  );

/** A URL; a missing required one says so rather than "expected string". */
const url = () =>
  z.url({
    error: (issue) =>
      issue.input === undefined ? 'is required' : `must be a URL, got ${JSON.stringify(issue.input)}`,
  });
const optionalText = z.string().min(1).optional();

const configSchema = z
  .object({
    /** Where the AWS APIs live (embedded edge, LocalStack or real AWS). */
    aws: awsTargetSchema,
    /** The egress queue (S3 event notifications of `pipeline_success.flag` objects). */
    queueUrl: url(),
    /** Unparseable messages are sent here at once; without it they wait for the queue's redrive policy. */
    deadLetterQueueUrl: url().optional(),
    /** The routing table. */
    table: z.string().min(1).default(SERVICE_DEFAULTS.table),
    /** Directory standing for `/` of SFT destination prefixes; SFT objects fail without it. */
    sftRoot: optionalText.transform((value) => (value === undefined ? undefined : path.resolve(value))),
    /** Messages processed at the same time. */
    messagesInFlight: integer(1, 100).default(SERVICE_DEFAULTS.messagesInFlight),
    /** Messages per ReceiveMessage (1–10); pollers = ⌈messagesInFlight / batchSize⌉. */
    batchSize: integer(1, 10).default(SERVICE_DEFAULTS.batchSize),
    /** Object transfers running at the same time across all messages and rules. */
    objectConcurrency: integer(1, 256).default(SERVICE_DEFAULTS.objectConcurrency),
    /** Visibility timeout (s) requested on receive and renewed by each heartbeat. */
    visibilityTimeoutSeconds: integer(1, 43_200).default(SERVICE_DEFAULTS.visibilityTimeoutSeconds),
    /** Heartbeat period (s); must be shorter than the visibility timeout. */
    heartbeatIntervalSeconds: integer(1, 43_199).default(SERVICE_DEFAULTS.heartbeatIntervalSeconds),
    /** Long-poll wait (s), 1–20. */
    waitTimeSeconds: integer(1, 20).default(SERVICE_DEFAULTS.waitTimeSeconds),
    /** How long `stop()` lets in-flight messages finish before aborting them (ms). */
    shutdownTimeoutMs: integer(0, 3_600_000).default(SERVICE_DEFAULTS.shutdownTimeoutMs),
    /** Multipart part size (MiB). 5–8 with the embedded S3, which refuses bodies over 11 MiB. */
    uploadPartSizeMiB: integer(5, 5_120).default(SERVICE_DEFAULTS.uploadPartSizeMiB),
    /** Parts uploaded concurrently per object. */
    uploadQueueSize: integer(1, 32).default(SERVICE_DEFAULTS.uploadQueueSize),
    /** zlib level of `gz` and `z` compression: 1 is fastest, 9 smallest; 6 is zlib's (and the original's) default. */
    compressionLevel: integer(1, 9).default(SERVICE_DEFAULTS.compressionLevel),
    /** Port of `/metrics` and `/health`; 0 picks a free one. */
    metricsPort: integer(0, 65_535).default(SERVICE_DEFAULTS.metricsPort),
    /** Interface of the metrics server. */
    metricsHost: z.string().min(1).default(SERVICE_DEFAULTS.metricsHost),
    /** Pushgateway base URL (`http://host:9091`); no pushing when absent. */
    pushgatewayUrl: url().optional(),
    /** Push period (ms). */
    pushgatewayIntervalMs: integer(1_000, 3_600_000).default(SERVICE_DEFAULTS.pushgatewayIntervalMs),
    /** Grouping key `instance` of pushed metrics. */
    pushgatewayInstance: z.string().min(1).default(SERVICE_DEFAULTS.pushgatewayInstance),
    /** IANA time zone of the date placeholders and timestamps. */
    timeZone: z
      .string()
      .default(SERVICE_DEFAULTS.timeZone)
      .refine(isValidTimeZone, { error: (issue) => `unknown time zone ${JSON.stringify(issue.input)}` }),
    /** Reuse a routing-table scan for this long (ms); 0 scans once per message. */
    ruleCacheTtlMs: integer(0, 3_600_000).default(SERVICE_DEFAULTS.ruleCacheTtlMs),
    /** Data Key Service: with a URL the service decrypts, re-wraps and seals manifests (docs/encryption.md). */
    dks: z
      .object({
        url: url().optional(),
        caPath: optionalText,
        certPath: optionalText,
        keyPath: optionalText,
        /** PKCS#12 keystore with the client identity (the original's `SECURITY_KEYSTORE`). */
        keystorePath: optionalText,
        keystorePassword: z.string().optional(),
        /** Password of the key entry; PKCS#12 stores normally use the store password for it. */
        keyPassword: z.string().optional(),
        /** The key entry to use; optional when the keystore holds one key. */
        keystoreAlias: optionalText,
        /** PKCS#12 truststore with the CA certificates to trust (the original's `SECURITY_TRUSTSTORE`). */
        truststorePath: optionalText,
        truststorePassword: z.string().optional(),
      })
      .default({}),
  })
  .superRefine((config, context) => {
    // The DKS client certificate and its key only work as a pair, and TLS files need a DKS to talk to.
    const { dks } = config;
    if ((dks.certPath === undefined) !== (dks.keyPath === undefined)) {
      const missing = dks.certPath === undefined ? 'certPath' : 'keyPath';
      const given = missing === 'certPath' ? 'keyPath' : 'certPath';
      context.addIssue({
        code: 'custom',
        path: ['dks', missing],
        message: `is required with dks.${given} (the client certificate and its key go together)`,
      });
    }
    // PEM and PKCS#12 are two ways to give the same thing: refused together rather than one
    // silently winning, so an operator never debugs the file that is not in use.
    const mixes = [
      ['keystorePath', 'certPath', 'the client identity: a PKCS#12 keystore or a PEM certificate and key'],
      ['truststorePath', 'caPath', 'the trusted CA: a PKCS#12 truststore or a PEM CA file'],
    ] as const;
    for (const [store, pem, what] of mixes) {
      if (
        dks[store] !== undefined &&
        (dks[pem] !== undefined || (pem === 'certPath' && dks.keyPath !== undefined))
      ) {
        context.addIssue({ code: 'custom', path: ['dks', store], message: `give ${what}, not both` });
      }
    }
    const storeFields = [
      ['keystorePassword', 'keystorePath'],
      ['keyPassword', 'keystorePath'],
      ['keystoreAlias', 'keystorePath'],
      ['truststorePassword', 'truststorePath'],
    ] as const;
    for (const [field, store] of storeFields) {
      if (dks[field] !== undefined && dks[store] === undefined) {
        context.addIssue({ code: 'custom', path: ['dks', field], message: `is set but dks.${store} is not` });
      }
    }
    if (dks.url === undefined) {
      for (const field of ['caPath', 'certPath', 'keyPath', 'keystorePath', 'truststorePath'] as const) {
        if (dks[field] !== undefined) {
          context.addIssue({ code: 'custom', path: ['dks', field], message: 'is set but dks.url is not' });
        }
      }
    }
    if (config.heartbeatIntervalSeconds >= config.visibilityTimeoutSeconds) {
      context.addIssue({
        code: 'custom',
        path: ['heartbeatIntervalSeconds'],
        message: `must be less than visibilityTimeoutSeconds (${config.visibilityTimeoutSeconds}), got ${config.heartbeatIntervalSeconds}`,
      });
    }
  });

/** Configuration as callers write it: defaults are filled in (see the schema above). */
export type EgressServiceConfig = z.input<typeof configSchema> & { aws: AwsTarget };
/** Configuration with every default applied, as the service uses it. */
export type ResolvedEgressServiceConfig = z.output<typeof configSchema>;

type Field =
  | Exclude<keyof ResolvedEgressServiceConfig, 'aws' | 'dks'>
  | 'dksUrl'
  | 'dksCaPath'
  | 'dksCertPath'
  | 'dksKeyPath'
  | 'dksKeystorePath'
  | 'dksKeystorePassword'
  | 'dksKeyPassword'
  | 'dksKeystoreAlias'
  | 'dksTruststorePath'
  | 'dksTruststorePassword';

/** One setting: its env variables (preferred first), its CLI flag and what it means. */
export interface SettingDescription {
  readonly field: Field;
  readonly env: readonly string[];
  /** Absent for passwords: a flag would show them in the process list. */
  readonly flag?: string;
  readonly description: string;
  /** What applies when it is not set, as shown in the help; absent for a required setting. */
  readonly default?: string;
}

/** Every setting with its sources; the CLI registers one option per entry. */
export const SETTINGS: readonly SettingDescription[] = [
  {
    field: 'queueUrl',
    env: ['EGRESS_QUEUE_URL', 'AWS_SQS_QUEUE_URL', 'sqs_url'],
    flag: '--queue-url',
    description: 'egress queue URL (required)',
  },
  {
    field: 'deadLetterQueueUrl',
    env: ['EGRESS_DEAD_LETTER_QUEUE_URL'],
    flag: '--dead-letter-queue-url',
    description: 'DLQ for unparseable messages',
    default: 'none (redrive policy)',
  },
  {
    field: 'table',
    env: ['EGRESS_TABLE', 'AWS_DATA_EGRESS_TABLE'],
    flag: '--table',
    description: 'routing table',
    default: String(SERVICE_DEFAULTS.table),
  },
  {
    field: 'sftRoot',
    env: ['EGRESS_SFT_ROOT'],
    flag: '--sft-root',
    description: 'directory standing for / of SFT destination prefixes',
    default: 'none (SFT objects fail)',
  },
  {
    field: 'messagesInFlight',
    env: ['EGRESS_MESSAGES_IN_FLIGHT'],
    flag: '--messages-in-flight',
    description: 'messages processed at once',
    default: String(SERVICE_DEFAULTS.messagesInFlight),
  },
  {
    field: 'batchSize',
    env: ['EGRESS_BATCH_SIZE'],
    flag: '--batch-size',
    description: 'messages per receive (1–10)',
    default: String(SERVICE_DEFAULTS.batchSize),
  },
  {
    field: 'objectConcurrency',
    env: ['EGRESS_OBJECT_CONCURRENCY'],
    flag: '--object-concurrency',
    description: 'object transfers at once, service-wide',
    default: String(SERVICE_DEFAULTS.objectConcurrency),
  },
  {
    field: 'visibilityTimeoutSeconds',
    env: ['EGRESS_VISIBILITY_TIMEOUT_SECONDS'],
    flag: '--visibility-timeout',
    description: 'visibility timeout (s), renewed by heartbeats',
    default: String(SERVICE_DEFAULTS.visibilityTimeoutSeconds),
  },
  {
    field: 'heartbeatIntervalSeconds',
    env: ['EGRESS_HEARTBEAT_INTERVAL_SECONDS'],
    flag: '--heartbeat-interval',
    description: 'heartbeat period (s) < visibility timeout',
    default: String(SERVICE_DEFAULTS.heartbeatIntervalSeconds),
  },
  {
    field: 'waitTimeSeconds',
    env: ['EGRESS_WAIT_TIME_SECONDS'],
    flag: '--wait-time',
    description: 'long-poll wait (s), 1–20',
    default: String(SERVICE_DEFAULTS.waitTimeSeconds),
  },
  {
    field: 'shutdownTimeoutMs',
    env: ['EGRESS_SHUTDOWN_TIMEOUT_MS'],
    flag: '--shutdown-timeout',
    description: 'drain time on stop (ms)',
    default: String(SERVICE_DEFAULTS.shutdownTimeoutMs),
  },
  {
    field: 'uploadPartSizeMiB',
    env: ['EGRESS_UPLOAD_PART_SIZE_MIB'],
    flag: '--upload-part-size',
    description: 'multipart part size (MiB), ≥ 5',
    default: String(SERVICE_DEFAULTS.uploadPartSizeMiB),
  },
  {
    field: 'uploadQueueSize',
    env: ['EGRESS_UPLOAD_QUEUE_SIZE'],
    flag: '--upload-queue-size',
    description: 'parts in flight per object',
    default: String(SERVICE_DEFAULTS.uploadQueueSize),
  },
  {
    field: 'compressionLevel',
    env: ['EGRESS_COMPRESSION_LEVEL'],
    flag: '--compression-level',
    description: 'zlib level of gz / z compression (1 fastest … 9 smallest)',
    default: String(SERVICE_DEFAULTS.compressionLevel),
  },
  {
    field: 'metricsPort',
    env: ['EGRESS_METRICS_PORT'],
    flag: '--metrics-port',
    description: 'port of /metrics and /health (0 = any)',
    default: String(SERVICE_DEFAULTS.metricsPort),
  },
  {
    field: 'metricsHost',
    env: ['EGRESS_METRICS_HOST'],
    flag: '--metrics-host',
    description: 'interface of the metrics server',
    default: String(SERVICE_DEFAULTS.metricsHost),
  },
  {
    field: 'pushgatewayUrl',
    env: ['EGRESS_PUSHGATEWAY_URL'],
    flag: '--pushgateway-url',
    description: 'Pushgateway base URL (METRICS_PUSHGATEWAY_HOST/_PORT also accepted)',
    default: 'none',
  },
  {
    field: 'pushgatewayIntervalMs',
    env: ['EGRESS_PUSHGATEWAY_INTERVAL_MS'],
    flag: '--pushgateway-interval',
    description: 'push period (ms)',
    default: String(SERVICE_DEFAULTS.pushgatewayIntervalMs),
  },
  {
    field: 'pushgatewayInstance',
    env: ['EGRESS_PUSHGATEWAY_INSTANCE', 'METRICS_INSTANCE_NAME'],
    flag: '--pushgateway-instance',
    description: 'pushed grouping key instance',
    default: String(SERVICE_DEFAULTS.pushgatewayInstance),
  },
  {
    field: 'timeZone',
    env: ['EGRESS_TIME_ZONE', 'TZ'],
    flag: '--time-zone',
    description: 'IANA zone of dates and timestamps',
    default: String(SERVICE_DEFAULTS.timeZone),
  },
  {
    field: 'ruleCacheTtlMs',
    env: ['EGRESS_RULE_CACHE_TTL_MS'],
    flag: '--rule-cache-ttl',
    description: 'reuse a table scan this long (ms); 0 = per message',
    default: String(SERVICE_DEFAULTS.ruleCacheTtlMs),
  },
  {
    field: 'dksUrl',
    env: ['EGRESS_DKS_URL', 'DKS_URL', 'dks_url'],
    flag: '--dks-url',
    description: 'Data Key Service base URL',
    default: 'none',
  },
  {
    field: 'dksCaPath',
    env: ['EGRESS_DKS_CA'],
    flag: '--dks-ca',
    description: 'CA certificate (PEM) trusted for the DKS',
    default: 'none',
  },
  {
    field: 'dksCertPath',
    env: ['EGRESS_DKS_CERT'],
    flag: '--dks-cert',
    description: 'client certificate (PEM) for the DKS',
    default: 'none',
  },
  {
    field: 'dksKeyPath',
    env: ['EGRESS_DKS_KEY'],
    flag: '--dks-key',
    description: 'client key (PEM) for the DKS',
    default: 'none',
  },
  {
    field: 'dksKeystorePath',
    env: ['SECURITY_KEYSTORE'],
    flag: '--dks-keystore',
    description: 'PKCS#12 keystore with the DKS client certificate and key',
    default: 'none',
  },
  {
    field: 'dksKeystorePassword',
    env: ['SECURITY_KEYSTORE_PASSWORD'],
    description: 'password of the keystore',
    default: 'none',
  },
  {
    field: 'dksKeyPassword',
    env: ['SECURITY_KEY_PASSWORD'],
    description: 'password of the key entry (PKCS#12: the keystore password)',
    default: 'the keystore password',
  },
  {
    field: 'dksKeystoreAlias',
    env: ['SECURITY_KEYSTORE_ALIAS'],
    flag: '--dks-keystore-alias',
    description: 'the key entry of the keystore to use',
    default: 'its only key',
  },
  {
    field: 'dksTruststorePath',
    env: ['SECURITY_TRUSTSTORE'],
    flag: '--dks-truststore',
    description: 'PKCS#12 truststore with the CA certificates trusted for the DKS',
    default: 'none',
  },
  {
    field: 'dksTruststorePassword',
    env: ['SECURITY_TRUSTSTORE_PASSWORD'],
    description: 'password of the truststore',
    default: 'none',
  },
];

/** A configuration that cannot be used; each problem names the variable or flag at fault. */
export class EgressConfigError extends Error {
  override readonly name = 'EgressConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid egress service configuration:\n  ${problems.join('\n  ')}`);
  }
}

const DKS_FIELDS: Partial<Record<Field, keyof ResolvedEgressServiceConfig['dks']>> = {
  dksUrl: 'url',
  dksCaPath: 'caPath',
  dksCertPath: 'certPath',
  dksKeyPath: 'keyPath',
  dksKeystorePath: 'keystorePath',
  dksKeystorePassword: 'keystorePassword',
  dksKeyPassword: 'keyPassword',
  dksKeystoreAlias: 'keystoreAlias',
  dksTruststorePath: 'truststorePath',
  dksTruststorePassword: 'truststorePassword',
};

function formatIssues(error: z.ZodError, nameOf: (pathText: string) => string): string[] {
  return error.issues.map((issue) => {
    const pathText = issue.path.join('.');
    return `${nameOf(pathText)}: ${issue.message}`;
  });
}

/**
 * Validates a configuration and applies the defaults.
 * @throws EgressConfigError naming each field at fault
 */
export function resolveEgressServiceConfig(config: EgressServiceConfig): ResolvedEgressServiceConfig {
  const parsed = configSchema.safeParse(config);
  if (!parsed.success)
    throw new EgressConfigError(formatIssues(parsed.error, (pathText) => pathText || 'config'));
  return parsed.data;
}

/** Inputs of {@link loadEgressServiceConfig}. */
export interface ConfigSources {
  env?: NodeJS.ProcessEnv;
  /** CLI flag values by field (they win over the environment); `undefined` means "not given". */
  flags?: Partial<Record<Field, string | number | undefined>>;
}

/**
 * Builds the configuration from environment variables and CLI flags: a flag wins over the
 * `EGRESS_*` variable, which wins over the original's names (`AWS_SQS_QUEUE_URL`, `sqs_url`,
 * `DKS_URL`, `dks_url`, `METRICS_PUSHGATEWAY_HOST`…). The AWS target comes from
 * `awsTargetFromEnv` (`AWS_ENDPOINT_URL`, `AWS_REGION`, …). Empty values count as unset.
 *
 * @throws EgressConfigError whose problems name the variable (and flag) at fault
 */
export function loadEgressServiceConfig(sources: ConfigSources = {}): ResolvedEgressServiceConfig {
  const env = sources.env ?? process.env;
  const flags = sources.flags ?? {};
  const raw: Record<string, unknown> = {};
  const dks: Record<string, unknown> = {};
  const shownName = new Map<string, string>();
  for (const setting of SETTINGS) {
    const flagValue = flags[setting.field];
    let value: unknown;
    let from: string | undefined;
    if (flagValue !== undefined && flagValue !== '') {
      value = flagValue;
      from = setting.flag;
    } else {
      const name = setting.env.find((candidate) => env[candidate] !== undefined && env[candidate] !== '');
      if (name) {
        value = env[name];
        from = name;
      }
    }
    const dksKey = DKS_FIELDS[setting.field];
    const pathText = dksKey ? `dks.${dksKey}` : setting.field;
    shownName.set(
      pathText,
      from ?? (setting.flag ? `${setting.env[0]} (or ${setting.flag})` : setting.env[0]!),
    );
    if (value === undefined) continue;
    if (dksKey) dks[dksKey] = value;
    else raw[setting.field] = value;
  }
  if (raw.pushgatewayUrl === undefined && env.METRICS_PUSHGATEWAY_HOST) {
    // The original's form: host and port separately, plain HTTP (behaviour §7.1).
    raw.pushgatewayUrl = `http://${env.METRICS_PUSHGATEWAY_HOST}:${env.METRICS_PUSHGATEWAY_PORT || '9091'}`;
    shownName.set('pushgatewayUrl', 'METRICS_PUSHGATEWAY_HOST/METRICS_PUSHGATEWAY_PORT');
  }
  let aws: AwsTarget;
  try {
    aws = awsTargetFromEnv(env);
  } catch (error) {
    throw new EgressConfigError([`AWS_ENDPOINT_URL / AWS_REGION: ${(error as Error).message}`]);
  }
  const parsed = configSchema.safeParse({ ...raw, aws, dks });
  if (!parsed.success) {
    throw new EgressConfigError(
      formatIssues(parsed.error, (pathText) => shownName.get(pathText) ?? pathText),
    );
  }
  return parsed.data;
}
