// Generates charts/ipam-in-cluster/values.schema.json from values.yaml: types from the defaults,
// descriptions from the `# --` comments, and `additionalProperties: false` on every object the
// chart defines, so a misspelt key fails `helm install` instead of being silently ignored.
// `npm run chart:schema` writes it; a test fails when the committed file is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Node, type Pair } from 'yaml';
import { repoRoot } from '../cluster/paths.js';

export const chartDir = join(repoRoot, 'charts', 'ipam-in-cluster');

/** Keys whose value is a free-form map (labels, selectors, Kubernetes objects). */
const freeForm = new Set([
  'imagePullSecrets',
  'resources',
  'podAnnotations',
  'podLabels',
  'nodeSelector',
  'affinity',
  'tolerations',
  'annotations',
  'labels',
  'issuerRef',
  'extraEnv',
  'webhookFrom',
  'metricsFrom',
]);

const enums: Record<string, string[]> = {
  'image.pullPolicy': ['Always', 'IfNotPresent', 'Never'],
  'webhook.failurePolicy': ['Fail', 'Ignore'],
  'webhook.certificates.mode': ['controller', 'certManager', 'secret'],
  'controller.logLevel': ['error', 'warn', 'info', 'debug'],
  'controller.logFormat': ['json', 'text'],
  'webhook.listenOn': ['podIP', 'all'],
  'health.listenOn': ['podIP', 'all'],
};

const patterns: Record<string, string> = {
  'leaderElection.leaseDuration': '^[0-9]+(ms|s|m|h)$',
  'leaderElection.renewDeadline': '^[0-9]+(ms|s|m|h)$',
  'leaderElection.retryPeriod': '^[0-9]+(ms|s|m|h)$',
  'metrics.serviceMonitor.interval': '^[0-9]+(s|m|h)$',
  'metrics.prometheusRule.claimsPendingFor': '^[0-9]+(s|m|h)$',
  'webhook.certificates.certManager.duration': '^[0-9]+(h|m|s)$',
  'webhook.certificates.certManager.renewBefore': '^[0-9]+(h|m|s)$',
  'image.digest': '^(sha256:[a-f0-9]{64})?$',
  'controller.forecastHalfLife': '^([0-9]+(ms|s|m|h))+$',
};

const ranges: Record<string, [number, number]> = {
  replicaCount: [0, 100],
  'controller.concurrency': [1, 256],
  'controller.utilizationWarningThreshold': [1, 100],
  'webhook.port': [1, 65535],
  'webhook.timeoutSeconds': [1, 30],
  'metrics.port': [1, 65535],
  'metrics.service.port': [1, 65535],
  'health.port': [1, 65535],
  'metrics.prometheusRule.nearlyFullPercent': [1, 100],
  terminationGracePeriodSeconds: [0, 3600],
  'podDisruptionBudget.minAvailable': [0, 100],
  'metrics.prometheusRule.fullWithinDays': [0, 3650],
};

type Schema = Record<string, unknown>;

function description(pair: Pair, inherited?: string | null): string | undefined {
  // The yaml parser attaches the comment above a map's first key to the map itself.
  const comment = (pair.key as Node | null)?.commentBefore ?? inherited ?? '';
  const text = comment
    .split('\n')
    .map((l) => l.trim())
    .join(' ')
    .replace(/^.*?-- /, '');
  return comment.includes('-- ') ? text.trim() : undefined;
}

function schemaFor(node: unknown, path: string, key: string): Schema {
  if (freeForm.has(key)) {
    return isSeq(node) ? { type: 'array' } : { type: 'object' };
  }
  if (isMap(node)) {
    const properties: Record<string, Schema> = {};
    for (const [i, pair] of node.items.entries()) {
      const name = String((pair.key as { value: unknown }).value);
      const child = schemaFor(pair.value, path ? `${path}.${name}` : name, name);
      const doc = description(pair, i === 0 ? node.commentBefore : undefined);
      properties[name] = doc ? { description: doc, ...child } : child;
    }
    return { type: 'object', additionalProperties: false, properties };
  }
  if (isSeq(node)) return { type: 'array', items: { type: 'string' } };
  if (isScalar(node)) {
    const value = node.value;
    const out: Schema = {};
    if (typeof value === 'boolean') out.type = 'boolean';
    else if (typeof value === 'number') out.type = 'integer';
    else out.type = 'string';
    if (enums[path]) out.enum = enums[path];
    if (patterns[path]) out.pattern = patterns[path];
    const range = ranges[path];
    if (range) [out.minimum, out.maximum] = range;
    return out;
  }
  return {};
}

export function generateValuesSchema(): string {
  const doc = parseDocument(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
  const root = schemaFor(doc.contents, '', '');
  const schema = {
    $schema: 'https://json-schema.org/draft-07/schema#',
    title: 'ipam-in-cluster values',
    ...root,
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (process.argv[1]?.endsWith('chart-schema.ts')) {
  writeFileSync(join(chartDir, 'values.schema.json'), generateValuesSchema());
  process.stdout.write('wrote charts/ipam-in-cluster/values.schema.json\n');
}
