import { type AwsTarget, DEFAULT_REGION, EMULATOR_CREDENTIALS } from '../aws/target.ts';
import { type Edge, type EdgeOptions, startEdge } from '../edge/index.ts';
import { type MotoServer, type StartMotoOptions, startMoto } from '../peers/moto.ts';

/**
 * Where a test's AWS calls go: the embedded edge on a free port, a moto server started for the
 * kit (`.peers/` or a `python3` with moto), or an endpoint something else already runs.
 */
export type KitTargetChoice = 'embedded' | 'moto' | (Partial<AwsTarget> & Pick<AwsTarget, 'endpoint'>);

/** What a target choice started: the AWS target for clients, and what to stop. */
export interface KitTarget {
  readonly kind: 'embedded' | 'moto' | 'endpoint';
  readonly aws: AwsTarget;
  /** The embedded edge (fault hooks, write records, assumed roles); only for `embedded`. */
  readonly edge?: Edge | undefined;
  /** The moto server; only for `moto`. */
  readonly moto?: MotoServer | undefined;
  /** Stops what the kit started; an `endpoint` target is left running. */
  stop(): Promise<void>;
}

/** Options passed through to whatever the target starts. */
export interface KitTargetOptions {
  /** For `embedded`; the port is always 0 (a free one) unless given. */
  edge?: EdgeOptions;
  /** For `moto`. */
  moto?: StartMotoOptions;
}

/** Starts (or, for an endpoint, only describes) the target a test chose. */
export async function startKitTarget(
  choice: KitTargetChoice,
  options: KitTargetOptions = {},
): Promise<KitTarget> {
  if (choice === 'embedded') {
    const edge = await startEdge({ port: 0, ...options.edge });
    return { kind: 'embedded', aws: edge.target, edge, stop: () => edge.stop() };
  }
  if (choice === 'moto') {
    const moto = await startMoto(options.moto);
    return {
      kind: 'moto',
      aws: { region: DEFAULT_REGION, endpoint: moto.endpoint, credentials: { ...EMULATOR_CREDENTIALS } },
      moto,
      stop: () => moto.stop(),
    };
  }
  // Without an endpoint the SDK would call real AWS: a test never does.
  if (!choice.endpoint) throw new Error('a test kit needs an endpoint; it never runs against real AWS');
  return {
    kind: 'endpoint',
    aws: {
      region: choice.region ?? DEFAULT_REGION,
      endpoint: choice.endpoint,
      credentials: choice.credentials ?? { ...EMULATOR_CREDENTIALS },
    },
    stop: async () => {},
  };
}
