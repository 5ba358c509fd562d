// HTME (the envelope the DataWorks producers write: a DKS-wrapped data key, an IV, AES-CTR): the
// names the crypto's index.ts makes public.
export * from './htme.ts';
