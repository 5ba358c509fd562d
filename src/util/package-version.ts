import { readFileSync } from 'node:fs';

/** The version of egress-sandbox (package.json beside src/), as `egress --version` prints it. */
export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
