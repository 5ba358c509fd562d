/** The original's source content for identifier X (behaviour §9): 100 lines, no trailing newline. */
export function specContent(identifier: string): string {
  return Array.from(
    { length: 100 },
    (_, index) => `${identifier},ENCRYPTED,CBOL,REPORT,LINE,NUMBER,${index}`,
  ).join('\n');
}
