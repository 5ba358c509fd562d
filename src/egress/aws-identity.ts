import { type CallIdentity, OWN_ROLE } from '../aws/call-recorder.ts';

/** How the egress service's AWS clients are labelled for the call recorder (src/aws/call-recorder.ts). */
export const EGRESS_CALLER = 'egress-service';

/** The service's own credentials (the task role in the original deployment). */
export const OWN_CREDENTIALS: CallIdentity = { caller: EGRESS_CALLER, principal: OWN_ROLE };

/** Credentials assumed for a rule's `role_arn`. */
export function assumedRole(roleArn: string): CallIdentity {
  return { caller: EGRESS_CALLER, principal: roleArn };
}
