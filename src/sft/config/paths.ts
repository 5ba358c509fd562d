import path from 'node:path';

/**
 * Configured SFT paths (`/data-egress/sas/`) are plain-joined under `sftRoot`
 * (docs/reference/contracts.md#sft-path-mapping). Nothing may leave `sftRoot`: a path that climbs above it is refused when the
 * configuration is loaded, never clamped.
 */

/** Normalises a configured path to `/a/b` form, or throws when it would climb above the root. */
export function normaliseConfiguredPath(configured: string): string {
  if (configured.includes('\0')) throw new Error('path contains a NUL character');
  const segments: string[] = [];
  for (const segment of configured.split(/[/\\]+/)) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) throw new Error(`path "${configured}" leaves the SFT root`);
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

/** The directory for a configured path under `sftRoot`; throws if the result is outside it. */
export function resolveUnderRoot(sftRoot: string, configured: string): string {
  const root = path.resolve(sftRoot);
  const resolved = path.join(root, normaliseConfiguredPath(configured));
  const relative = path.relative(root, resolved);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new Error(`path "${configured}" leaves the SFT root ${root}`);
  }
  return resolved;
}

/**
 * Why `name` cannot be used as a single file name (a rename result, a name sent to NiFi), or
 * `undefined` when it can: non-empty, not `.`/`..`, no separators, no control characters.
 */
export function unsafeFileNameReason(name: string): string | undefined {
  if (name.length === 0) return 'the name is empty';
  if (name === '.' || name === '..') return `"${name}" is not a file name`;
  if (/[/\\]/.test(name)) return 'the name contains a path separator';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\x00-\x1f\x7f]/.test(name)) return 'the name contains a control character';
  return undefined;
}
