// `-o name` and `-o jsonpath=…`: made from the `-o json` document a command printed, so every
// command with a json document gets both without a printer of its own.
import { CliError, ExitCode } from '../errors/cli-error.js';
import type { OutputSpec } from './formats.js';
import { applyJsonPath } from './jsonpath.js';

const GROUP = 'ipam.cluster.x-k8s.io';

/** Kind of the items of our list documents that carry none themselves. */
const ITEM_KIND: Readonly<Record<string, string>> = { AddressList: 'IPAddress' };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * kubectl's `-o name` for a document: `<kind>.<group>/<name>` (lower-case kind, no namespace), one
 * per object, in order, each once. Items are `items[]` (their `object` when they have one, as
 * doctor's findings do: `findings[].object`).
 */
export function namesOf(doc: unknown): string[] {
  if (!isObj(doc)) return [];
  const list: unknown[] = Array.isArray(doc.items)
    ? doc.items
    : Array.isArray(doc.findings)
      ? doc.findings
      : [];
  const fallback = typeof doc.kind === 'string' ? ITEM_KIND[doc.kind] : undefined;
  const out: string[] = [];
  for (const item of list) {
    const o = isObj(item) && isObj(item.object) ? item.object : item;
    if (!isObj(o) || typeof o.name !== 'string') continue;
    const kind = typeof o.kind === 'string' ? o.kind : fallback;
    if (kind === undefined) continue;
    const name = `${kind.toLowerCase()}.${GROUP}/${o.name}`;
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** Turns the json text a command printed into what `-o name` or `-o jsonpath=…` print. */
export function printDocument(spec: OutputSpec, jsonText: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(jsonText);
  } catch (error) {
    throw new CliError(ExitCode.Error, `-o ${spec.choice}: the command's json output does not parse`, {
      cause: error,
    });
  }
  if (spec.choice === 'name')
    return namesOf(doc)
      .map((n) => `${n}\n`)
      .join('');
  return applyJsonPath(spec.template ?? '', doc);
}
