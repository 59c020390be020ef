// The `-o` choices: what a command prints in, and reading the flag's value (kubectl's forms).
import { CliError, ExitCode } from '../errors/cli-error.js';

/** What a command prints in: `name` and `jsonpath` are made from its `json` document (documents.ts). */
export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml', 'name', 'jsonpath', 'csv'] as const;
export type OutputChoice = (typeof OUTPUT_FORMATS)[number];
/** What a command renders; `-o name|jsonpath` run it as `json`. */
export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'csv';

export interface OutputSpec {
  readonly choice: OutputChoice;
  /** The template of `-o jsonpath=TEMPLATE`. */
  readonly template?: string;
}

/** Reads `-o`: a format, or `jsonpath=TEMPLATE` (also `jsonpath='TEMPLATE'`, as kubectl takes it). */
export function parseOutput(value: string): OutputSpec {
  const eq = value.indexOf('=');
  const name = (eq < 0 ? value : value.slice(0, eq)).toLowerCase();
  if (name === 'jsonpath') {
    const template = eq < 0 ? '' : value.slice(eq + 1).replace(/^'(.*)'$/s, '$1');
    if (template === '')
      throw new CliError(
        ExitCode.Usage,
        'template format specified but no template given (-o jsonpath=TEMPLATE)',
      );
    return { choice: 'jsonpath', template };
  }
  if (eq < 0 && (OUTPUT_FORMATS as readonly string[]).includes(name)) return { choice: name as OutputChoice };
  throw new CliError(
    ExitCode.Usage,
    `unknown output format "${value}" (use one of: ${OUTPUT_FORMATS.map((f) => (f === 'jsonpath' ? 'jsonpath=TEMPLATE' : f)).join(', ')})`,
  );
}

/** The format a command renders for an -o choice. */
export function renderedFormat(spec: OutputSpec): OutputFormat {
  return spec.choice === 'name' || spec.choice === 'jsonpath' ? 'json' : spec.choice;
}
