import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { normaliseConfiguredPath } from './paths.ts';

/**
 * zod schemas for the original's YAML, key for key. Objects strip unknown keys here; `parse.ts`
 * reports them as warnings (the original files carry `logging:` and other settings this agent does
 * not use, and refusing them would refuse the original configuration).
 */

/** Turns a thrown message into a zod issue, so transforms can reuse plain parsing functions. */
function refineWith<I, O>(parse: (value: I) => O) {
  return (value: I, ctx: z.RefinementCtx): O => {
    try {
      return parse(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  };
}

export const durationSchema = z
  .union([z.number(), z.string()], { error: 'expected a duration such as 20000, 20000ms or 20s' })
  .transform(refineWith(parseDuration));

/** An SFT directory as configured; normalised, and refused if it climbs above the SFT root. */
export const sftPathSchema = z
  .string({ error: 'expected a directory path such as /data-egress/sas/' })
  .min(1, 'must not be empty')
  .transform(refineWith(normaliseConfiguredPath));

const secretSchema = z.union([z.string(), z.number()]).transform(String);

export const readLockSchema = z.object({
  minAge: durationSchema.optional(),
  checkInterval: durationSchema.optional(),
  timeout: durationSchema.optional(),
});

const tlsProtocol = z.enum(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);

export const tlsSchema = z.object({
  // This agent's own keys: PEM files, which is what Node's TLS reads.
  caPath: z.string().min(1).optional(),
  certPath: z.string().min(1).optional(),
  keyPath: z.string().min(1).optional(),
  verifyHostname: z.boolean().optional(),
  supportedProtocols: z.array(tlsProtocol).min(1).optional(),
  supportedCiphers: z.array(z.string()).optional(),
  // The original's Java keystores: parsed so the original file loads, but not read (see parse.ts).
  keyStorePath: secretSchema.optional(),
  keyStorePassword: secretSchema.optional(),
  keyStoreType: z.string().optional(),
  trustStorePath: secretSchema.optional(),
  trustStorePassword: secretSchema.optional(),
  trustStoreType: z.string().optional(),
});

export const httpClientSchema = z.object({
  timeout: durationSchema.optional(),
  connectionTimeout: durationSchema.optional(),
  connectionRequestTimeout: durationSchema.optional(),
  tls: tlsSchema.optional(),
});

export const retryBehaviourSchema = z.object({
  redeliveryDelay: durationSchema.optional(),
  backOffMultiplier: z.number().min(1, 'must be at least 1').optional(),
  maximumRedeliveries: z.number().int().min(0).max(1000).optional(),
  maximumRedeliveryDelay: durationSchema.optional(),
});

export const writeFileSchema = z.object({
  name: z.literal('writeFile'),
  properties: z.object({ destination: sftPathSchema }),
});

export const renameFileSchema = z.object({
  name: z.literal('renameFile'),
  properties: z.object({
    rename_regex: z.string().min(1, 'must not be empty'),
    rename_replacement: z.union([z.string(), z.number()]).transform(String),
  }),
});

export const httpRequestSchema = z.object({
  name: z.literal('httpRequest'),
  properties: z.object({
    destination: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .transform((value) => new URL(value)),
  }),
});

export const actionSchemas = {
  writeFile: writeFileSchema,
  renameFile: renameFileSchema,
  httpRequest: httpRequestSchema,
} as const;

export const actionSchema = z.discriminatedUnion(
  'name',
  [writeFileSchema, renameFileSchema, httpRequestSchema],
  {
    error: 'expected an action name: writeFile, renameFile or httpRequest',
  },
);

const poolSize = z.number().int().min(1).max(64);

export const routeSchema = z.object({
  name: z.union([z.string().min(1), z.number()]).transform(String),
  source: sftPathSchema,
  actions: z.array(actionSchema).min(1, 'a route needs at least one action'),
  errorFolder: sftPathSchema,
  deleteOnSend: z.boolean().optional(),
  filenameRegex: z.string().min(1).optional(),
  threadPoolSize: poolSize.optional(),
  maxThreadPoolSize: poolSize.optional(),
});

export const senderSchema = z.object({
  retryBehaviour: retryBehaviourSchema.optional(),
  routes: z.array(routeSchema).min(1, 'at least one route is needed'),
});

export const rootSchema = z.object(
  {
    httpClient: httpClientSchema.optional(),
    readLock: readLockSchema.optional(),
    apikey: secretSchema.nullish(),
    /** Our own key: the header that carries `apikey`. */
    apikeyHeader: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'expected an HTTP header name')
      .optional(),
    sender: senderSchema,
  },
  { error: 'expected a YAML mapping with a sender.routes list' },
);

export type RawRoot = z.output<typeof rootSchema>;
export type RawRoute = z.output<typeof routeSchema>;
