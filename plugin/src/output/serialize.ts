// -o json and -o yaml: bigints become decimal strings (exact for any reader), undefined is dropped.
import { toJsonValue } from '@ipam-in-cluster/allocator';
import { stringify } from 'yaml';

export function toJson(value: unknown): string {
  return `${JSON.stringify(toJsonValue(value), null, 2)}\n`;
}

export function toYaml(value: unknown): string {
  return stringify(toJsonValue(value), { lineWidth: 0 });
}
