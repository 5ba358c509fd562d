import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { parseRewrapKeyParameter, type RewrapKey, RewrapKeyError } from './rewrap.ts';

/**
 * Reads a recipient's re-wrap key from SSM (`GetParameter` **with** decryption, so SecureString
 * parameters work — the original forgot the flag, behaviour §10.19) and parses it.
 *
 * @throws RewrapKeyError naming the parameter: not found, unreadable, or malformed.
 */
export async function readRewrapKey(
  ssm: SSMClient,
  parameterName: string,
  signal?: AbortSignal,
): Promise<RewrapKey> {
  let value: string | undefined;
  try {
    const response = await ssm.send(
      new GetParameterCommand({ Name: parameterName, WithDecryption: true }),
      signal ? { abortSignal: signal } : {},
    );
    value = response.Parameter?.Value;
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'ParameterNotFound') {
      throw new RewrapKeyError(parameterName, 'does not exist in SSM Parameter Store', { cause: error });
    }
    throw new RewrapKeyError(
      parameterName,
      `could not be read from SSM Parameter Store (${name ?? 'error'}: ${(error as Error).message})`,
      { cause: error },
    );
  }
  return parseRewrapKeyParameter(parameterName, value);
}

/**
 * The re-wrap keys of the rules being executed, read ONCE per rule execution (the original read
 * the parameter for every object, behaviour §10.19): the first object — or the manifest — of a rule
 * triggers the read, concurrent and later objects of the same execution share its result, failure
 * included (every object of that rule then fails with the same error naming the parameter).
 *
 * The cache is keyed by the rule execution object itself (`ResolvedRule`, one per rule per
 * message), held weakly: it disappears with the execution, so the next message reads SSM again and
 * a rotated key is picked up.
 */
export class RewrapKeySource {
  readonly #executions = new WeakMap<object, Map<string, Promise<RewrapKey>>>();
  readonly #read: typeof readRewrapKey;

  constructor(read: typeof readRewrapKey = readRewrapKey) {
    this.#read = read;
  }

  /**
   * @param execution the rule execution (its identity scopes the cache)
   * @param ssm the SSM client to read through — the rule's assumed role when it has one
   */
  get(
    execution: object,
    parameterName: string,
    ssm: () => SSMClient,
    signal?: AbortSignal,
  ): Promise<RewrapKey> {
    let perRule = this.#executions.get(execution);
    if (!perRule) {
      perRule = new Map();
      this.#executions.set(execution, perRule);
    }
    let pending = perRule.get(parameterName);
    if (!pending) {
      pending = this.#read(ssm(), parameterName, signal);
      // Rejections are shared by the rule's objects; no one may be left unhandled meanwhile.
      pending.catch(() => {});
      perRule.set(parameterName, pending);
    }
    return pending;
  }
}
