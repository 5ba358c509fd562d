// Re-wrapping a data key for a recipient with the RSA key of an SSM parameter (read as leniently as
// the original): the names the crypto's index.ts makes public.
export * from './rewrap.ts';
export * from './rewrap-key-source.ts';
