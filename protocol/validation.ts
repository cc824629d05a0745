import type { z } from 'zod';

/** `apps[3].hash` style path of a zod issue; `(root)` for the value itself. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** One line naming every failing field, e.g. `apps[0].hash: Invalid input: expected string, received number`. */
export function formatZodError(error: z.ZodError): string {
  return error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`).join('; ');
}
