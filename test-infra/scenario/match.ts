/**
 * `match:` of wait-for-event: the pattern is a subset of the payload. An object matches when each of
 * its fields matches the payload's; an array when each of its elements matches some element of the
 * payload's (in any order); anything else by strict equality. `{apps: [{name: web}]}` matches an
 * apprunning payload that lists web among its apps.
 */
export function matchesSubset(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    return Array.isArray(value) && pattern.every((wanted) => value.some((item) => matchesSubset(wanted, item)));
  }
  if (typeof pattern === 'object' && pattern !== null) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const record = value as Record<string, unknown>;
    return Object.entries(pattern).every(
      ([key, wanted]) => Object.hasOwn(record, key) && matchesSubset(wanted, record[key]),
    );
  }
  return Object.is(pattern, value);
}
