// The Data Key Service client (mutual TLS, retries, a bounded key cache, one request per key in
// flight) and the service's DKS settings: the names the crypto's index.ts makes public.
export * from './dks-client.ts';
export * from './dks-settings.ts';
