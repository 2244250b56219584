/** Code-unit order, the same on every machine and locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Numeric ids in numeric order, anything else after them in code-unit order. */
export function compareIds(a: string, b: string): number {
  return a.length !== b.length && /^\d+$/.test(a) && /^\d+$/.test(b) ? a.length - b.length : compare(a, b);
}

export function sortedUnique(values: string[]): string[] {
  return [...new Set(values)].sort(compare);
}
