/**
 * What a SigV4-signed request says about itself in its credential scope
 * (`Credential=<key>/<date>/<region>/<service>/aws4_request`), from the Authorization header or
 * a presigned URL's `X-Amz-Credential`. The edge verifies no signature; it reads the scope the
 * way LocalStack does, to know which region a client addressed.
 */
export interface CredentialScope {
  accessKeyId: string;
  region: string;
  service: string;
}

export function credentialScope(
  authorization: string | undefined,
  query?: URLSearchParams,
): CredentialScope | undefined {
  const credential =
    authorization?.match(/Credential=([^,\s]+)/)?.[1] ?? query?.get('X-Amz-Credential') ?? undefined;
  const parts = credential?.split('/');
  if (parts?.length !== 5 || parts[4] !== 'aws4_request') return undefined;
  return { accessKeyId: parts[0]!, region: parts[2]!, service: parts[3]! };
}
