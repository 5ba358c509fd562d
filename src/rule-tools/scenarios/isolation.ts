/*
 * A rule set's scenarios run in a shared sandbox, next to every other scenario (and on a long-lived
 * stack, next to earlier runs). Their keys live under one scope, `bdd-<run>/`: the rules' source
 * prefixes and the samples under them, and the key prefixes of S3 destinations. The scope is chosen
 * so that the service's naming commutes with it — the scoped rule sends the scoped sample to the
 * scoped destination key — which test/rule-tools/rule-scenarios.test.ts checks with generated prefixes.
 * SFT directories are real directories the agent watches and stay as they are (sample names are
 * unique to their rule).
 *
 * One case does not commute, and no generated feature relies on it: a catch-all rule (`""`, `*`)
 * lists every key, but scoped (`bdd-x/`) it no longer lists keys that begin with `/`.
 */

/** A source key (or a source prefix) in the scope: `bdd-x/a/b`, and `/a/b` → `/bdd-x/a/b`. */
export function scopeSourceKey(scope: string, key: string): string {
  return key.startsWith('/') ? `/${scope}${key}` : `${scope}/${key}`;
}

/** Where an S3 rule's destination key lands once its `destination_prefix` is scoped. */
export function scopeDestinationKey(scope: string, key: string): string {
  return `${scope}/${key}`;
}

/** True for an item whose `transfer_type` names S3 (any case, as the service reads it). */
function isS3(item: Readonly<Record<string, unknown>>): boolean {
  return typeof item.transfer_type === 'string' && item.transfer_type.toUpperCase() === 'S3';
}

/**
 * The item as the scenarios store it: columns only (no `_resource`-style fixture fields), the
 * source prefix scoped, and an S3 rule's destination prefix scoped (a missing one becomes the
 * scope itself, which names the same keys as `""` would, scoped). Anything else is kept as it is,
 * invalid values included, so the service judges the same item.
 */
export function scopeItem(scope: string, item: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const scoped: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(item)) {
    if (!column.startsWith('_')) scoped[column] = value;
  }
  if (typeof item.source_prefix === 'string')
    scoped.source_prefix = scopeSourceKey(scope, item.source_prefix);
  if (isS3(item)) {
    const prefix = item.destination_prefix;
    if (prefix === undefined) scoped.destination_prefix = `${scope}/`;
    else if (typeof prefix === 'string') scoped.destination_prefix = scopeSourceKey(scope, prefix);
  }
  return scoped;
}
