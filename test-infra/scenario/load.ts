/**
 * Reads a scenario file: YAML, then the schema, then the cross-field checks. Every problem is
 * reported with the file, the line and column of the offending node in the YAML, and the field
 * path (`steps[3].partition.shape`), all at once rather than one per run.
 */
import { readFile } from 'node:fs/promises';
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { formatIssuePath } from '../../protocol/validation.js';
import { type CheckIssue, checkScenario } from './checks.js';
import { AT_KEY, type Scenario, scenarioSchema } from './schema.js';

export interface ScenarioIssue {
  file: string;
  /** 1-based. */
  line: number;
  column: number;
  /** `steps[3].partition.shape`; `(root)` for the document. */
  path: string;
  message: string;
}

export class ScenarioError extends Error {
  readonly file: string;
  readonly issues: readonly ScenarioIssue[];

  constructor({ file, issues }: { file: string; issues: readonly ScenarioIssue[] }) {
    const lines = issues.map((issue) => `  ${formatScenarioIssue(issue)}`);
    super(`${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${lines.join('\n')}`);
    this.name = 'ScenarioError';
    this.file = file;
    this.issues = issues;
  }
}

/** `file:line:column: path: message`, the form editors and terminals link. */
export function formatScenarioIssue(issue: ScenarioIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.path}: ${issue.message}`;
}

export interface LoadedScenario {
  scenario: Scenario;
  file: string;
  /** The line of each step in the file, for run reports. */
  stepLines: number[];
}

type Path = readonly (string | number)[];

interface Located {
  path: Path;
  message: string;
  atKey?: boolean;
  /** A wrong or missing value: when the field is absent, say so. */
  typeError?: boolean;
}

export async function loadScenarioFile(file: string): Promise<LoadedScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ScenarioError({
      file,
      issues: [{ file, line: 0, column: 0, path: '(root)', message: `cannot read: ${(error as Error).message}` }],
    });
  }
  return parseScenario({ text, file });
}

export function parseScenario({ text, file }: { text: string; file: string }): LoadedScenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    throw new ScenarioError({
      file,
      issues: doc.errors.map((error) => {
        const position = error.linePos?.[0] ?? { line: 1, col: 1 };
        // The message repeats the position and quotes the source below its first line.
        const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        return {
          file,
          line: position.line,
          column: position.col,
          path: '(yaml)',
          message: `${error.code}: ${message}`,
        };
      }),
    });
  }
  const parsed = scenarioSchema.safeParse(doc.toJS());
  const located = parsed.success ? checkScenario(parsed.data).map(fromCheck) : fromZod(parsed.error);
  if (!parsed.success || located.length > 0) {
    throw new ScenarioError({ file, issues: located.map((issue) => locate({ doc, lineCounter, file, issue })) });
  }
  const stepLines = parsed.data.steps.map(
    (_, index) => locate({ doc, lineCounter, file, issue: { path: ['steps', index], message: '' } }).line,
  );
  return { scenario: parsed.data, file, stepLines };
}

function fromCheck(issue: CheckIssue): Located {
  return { path: issue.path, message: issue.message, ...(issue.atKey ? { atKey: true } : {}) };
}

/** zod issues as located ones: unknown keys become one issue per key, at the key. */
function fromZod(error: z.ZodError): Located[] {
  return error.issues.flatMap((issue): Located[] => {
    const path = issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key));
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown field ${JSON.stringify(key)}`,
        atKey: true,
      }));
    }
    const params = issue.code === 'custom' ? (issue.params as { at?: string; code?: string } | undefined) : undefined;
    const atKey = params?.at === AT_KEY.at;
    const typeError = (params?.code ?? issue.code) === 'invalid_type';
    return [{ path, message: issue.message, ...(atKey ? { atKey } : {}), ...(typeError ? { typeError } : {}) }];
  });
}

/**
 * The deepest YAML node on `path` that exists: a missing field is reported at the map that lacks
 * it. With `atKey`, the last segment is located at its key (an unknown kind or field).
 */
function locate(args: { doc: Document; lineCounter: LineCounter; file: string; issue: Located }): ScenarioIssue {
  const { doc, lineCounter, file, issue } = args;
  let node: unknown = doc.contents;
  let found: Node | undefined = isNode(node) ? node : undefined;
  let missing = false;
  for (const [i, key] of issue.path.entries()) {
    const last = i === issue.path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => String(isScalar(item.key) ? item.key.value : item.key) === String(key));
      if (!pair) {
        missing = true;
        break;
      }
      if (last && issue.atKey && isNode(pair.key)) {
        found = pair.key;
        break;
      }
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number' && node.items[key] !== undefined) {
      node = node.items[key];
    } else {
      missing = true;
      break;
    }
    if (isNode(node)) found = node;
  }
  const offset = found?.range?.[0] ?? 0;
  const { line, col } = lineCounter.linePos(offset);
  const message = missing && issue.typeError ? `required field missing: ${issue.message}` : issue.message;
  return { file, line, column: col, path: formatIssuePath(issue.path), message };
}

function isNode(value: unknown): value is Node {
  return isMap(value) || isSeq(value) || isScalar(value);
}
