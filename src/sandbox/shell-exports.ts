import type { SandboxState } from './state-file.ts';

/**
 * The environment that points the AWS CLI (v1 and v2), any AWS SDK and this project's own
 * commands at a running sandbox, from its sandbox.json. Variable names are the SDKs' own
 * (`AWS_ENDPOINT_URL`, both region variables since CLI v1 reads only `AWS_DEFAULT_REGION`) and
 * the egress service's (`EGRESS_QUEUE_URL`, …), so `egress service` and the BDD suite's
 * external target read them as they are.
 */
export function sandboxEnvironment(state: SandboxState, stateFile: string): [name: string, value: string][] {
  return [
    ['AWS_ENDPOINT_URL', state.aws.endpoint],
    ['AWS_REGION', state.region],
    ['AWS_DEFAULT_REGION', state.region],
    ['AWS_ACCESS_KEY_ID', state.aws.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', state.aws.secretAccessKey],
    ['EGRESS_QUEUE_URL', state.queue.url],
    ['EGRESS_DEAD_LETTER_QUEUE_URL', state.deadLetterQueue.url],
    ['EGRESS_TABLE', state.table],
    ['EGRESS_SANDBOX_JSON', stateFile],
  ];
}

/** Quotes a value for POSIX shells: single quotes, with each `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Shell lines for `eval "$(egress env)"`: the exports, after unsetting what would make a client
 * mix in real-AWS settings (a session token beside the sandbox's keys, a named profile).
 */
export function renderShellExports(variables: [name: string, value: string][]): string {
  const lines = ['unset AWS_SESSION_TOKEN AWS_PROFILE'];
  for (const [name, value] of variables) lines.push(`export ${name}=${shellQuote(value)}`);
  return `${lines.join('\n')}\n`;
}
