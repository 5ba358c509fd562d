import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { OWN_ROLE, type RecordedAwsCall } from '../call-recorder.ts';
import { iamActionsFor } from './actions.ts';

/**
 * The least-privilege check: every recorded AWS call of the egress service against the original
 * deployment's roles (config/iam/egress-task-role.yml). Pure apart from {@link loadIamPolicy}.
 */

/** The label under which the policy file lists what an assumed role (a rule's role_arn) may do. */
export const ASSUMED_ROLE = 'assumed-role';

const actionName = z.string().regex(/^[A-Za-z0-9]+\*?$/, 'an action name such as GetObject or ReEncrypt*');

const policySchema = z.strictObject({
  roles: z.record(
    z.string(),
    z.strictObject({ allow: z.record(z.string().regex(/^[a-z0-9-]+$/), z.array(actionName)) }),
  ),
  beyondTheOriginal: z
    .array(
      z.strictObject({
        action: z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9]+$/),
        principal: z.string().min(1),
        when: z.string().min(1),
      }),
    )
    .default([]),
});

export type IamPolicy = z.infer<typeof policySchema>;

/** The policy file is unreadable or not of the expected shape; names the file and the field. */
export class IamPolicyError extends Error {
  override readonly name = 'IamPolicyError';
}

/** Validates a parsed policy document. */
export function parseIamPolicy(document: unknown, source: string): IamPolicy {
  const parsed = policySchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IamPolicyError(`${source}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  for (const role of [OWN_ROLE, ASSUMED_ROLE]) {
    if (!parsed.data.roles[role]) throw new IamPolicyError(`${source}: roles.${role} is missing`);
  }
  return parsed.data;
}

export async function loadIamPolicy(file: string): Promise<IamPolicy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new IamPolicyError(`cannot read the IAM policy ${file}: ${(error as Error).message}`);
  }
  return parseIamPolicy(parse(text), file);
}

/** The policy's role for a recorded principal: the task role, or any assumed role ARN. */
function roleOf(principal: string): string {
  return principal === OWN_ROLE ? OWN_ROLE : ASSUMED_ROLE;
}

function allows(policy: IamPolicy, role: string, action: string): boolean {
  const [service = '', name = ''] = action.split(':');
  const allowed = policy.roles[role]?.allow[service] ?? [];
  return allowed.some((entry) =>
    entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : entry === name,
  );
}

/** One IAM action of one role, with how many calls needed it and the verdict. */
export interface IamActionUse {
  readonly role: string;
  readonly action: string;
  /** The operations that needed it (`S3:CreateMultipartUpload`, …). */
  readonly operations: string[];
  readonly calls: number;
  readonly verdict: 'allowed' | 'beyond-the-original' | 'denied';
  /** For `beyond-the-original`: the feature that needs it. */
  readonly when?: string | undefined;
}

export interface IamCheck {
  readonly calls: number;
  readonly uses: IamActionUse[];
  /** The uses whose verdict is `denied`: the check fails when there is any. */
  readonly denied: IamActionUse[];
}

/** Checks every call's actions against the role of its principal. */
export function checkAwsCalls(calls: readonly RecordedAwsCall[], policy: IamPolicy): IamCheck {
  const uses = new Map<string, { role: string; action: string; operations: Set<string>; calls: number }>();
  for (const call of calls) {
    const role = roleOf(call.principal);
    for (const action of iamActionsFor(call)) {
      const key = `${role} ${action}`;
      const use = uses.get(key) ?? { role, action, operations: new Set<string>(), calls: 0 };
      use.operations.add(`${call.service}:${call.operation}`);
      use.calls += 1;
      uses.set(key, use);
    }
  }
  const judged: IamActionUse[] = [...uses.values()]
    .sort((a, b) => a.role.localeCompare(b.role) || a.action.localeCompare(b.action))
    .map((use) => {
      const base = { ...use, operations: [...use.operations].sort() };
      if (allows(policy, use.role, use.action)) return { ...base, verdict: 'allowed' as const };
      const extension = policy.beyondTheOriginal.find(
        (entry) => entry.action === use.action && (entry.principal === 'any' || entry.principal === use.role),
      );
      if (extension) return { ...base, verdict: 'beyond-the-original' as const, when: extension.when };
      return { ...base, verdict: 'denied' as const };
    });
  return { calls: calls.length, uses: judged, denied: judged.filter((use) => use.verdict === 'denied') };
}

/** Parses the recorder's JSON lines; a line that is not a call names its number. */
export function parseRecordedCalls(text: string, source: string): RecordedAwsCall[] {
  const calls: RecordedAwsCall[] = [];
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    try {
      const call = JSON.parse(line) as RecordedAwsCall;
      if (typeof call.service !== 'string' || typeof call.operation !== 'string')
        throw new Error('not a call');
      calls.push(call);
    } catch (error) {
      throw new IamPolicyError(`${source}: line ${index + 1}: ${(error as Error).message}`);
    }
  });
  return calls;
}

/** A readable report: one line per role and action, denied ones first. */
export function formatIamCheck(check: IamCheck, policyFile: string): string {
  const order = { denied: 0, 'beyond-the-original': 1, allowed: 2 } as const;
  const lines = [
    `${check.calls} AWS calls of the egress service checked against ${policyFile}: ` +
      (check.denied.length ? `${check.denied.length} action(s) OUTSIDE the original's roles` : 'all within'),
  ];
  for (const use of [...check.uses].sort((a, b) => order[a.verdict] - order[b.verdict])) {
    const mark =
      use.verdict === 'denied' ? '✗ DENIED ' : use.verdict === 'allowed' ? '✓ allowed' : '! beyond ';
    lines.push(
      `${mark} ${use.role.padEnd(13)} ${use.action.padEnd(28)} ${String(use.calls).padStart(6)} call(s)  ${use.operations.join(', ')}` +
        (use.when ? `\n            when ${use.when}` : ''),
    );
  }
  return lines.join('\n');
}
