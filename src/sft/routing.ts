import type { SftRoute } from './config/types.ts';

/**
 * Picks the route for a file name among the routes watching one directory: the FIRST route, in
 * configuration order, whose `filenameRegex` matches the whole name. The original ran every
 * route's consumer on the shared directory and whichever grabbed a file first won; fixing the
 * order makes the RIS pair deterministic: the subset route (listed first) takes subset files, the
 * `.*` route after it takes the rest. `undefined` means no route wants the name: it stays put.
 */
export function selectRoute(routes: readonly SftRoute[], name: string): SftRoute | undefined {
  return routes.find((route) => route.filenameRegex.fullMatch.test(name));
}

/** Routes grouped by their (normalised) source directory, each group in configuration order. */
export function groupBySource(routes: readonly SftRoute[]): Map<string, SftRoute[]> {
  const groups = new Map<string, SftRoute[]>();
  for (const route of routes) {
    const group = groups.get(route.source) ?? [];
    group.push(route);
    groups.set(route.source, group);
  }
  return groups;
}
