// Loads the CRD manifests in ../crds, the single source for the chart, the test cluster and tests.
// Resolved from this module's URL: src/ and dist/ are both one level below the package root, so the
// same relative path works from source (tests) and from the build.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { IPAM_GROUP, POOL_KIND_INFO, type PoolKind } from './constants.js';

/** Absolute path of the directory holding the CRD YAML files. */
export const CRD_DIR = fileURLToPath(new URL('../crds/', import.meta.url));

/** The part of a CustomResourceDefinition that callers inspect; the rest is kept as parsed. */
export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      categories?: string[];
    };
    versions: CustomResourceDefinitionVersion[];
    conversion?: Record<string, unknown>;
  };
}

export interface CustomResourceDefinitionVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  subresources?: { status?: Record<string, never> };
  additionalPrinterColumns?: { name: string; type: string; jsonPath: string; description?: string }[];
  schema: { openAPIV3Schema: JSONSchemaProps };
}

/** OpenAPI v3 schema node as used in CRDs (the fields our tests and tools look at). */
export interface JSONSchemaProps {
  type?: string;
  format?: string;
  description?: string;
  required?: string[];
  properties?: Record<string, JSONSchemaProps>;
  items?: JSONSchemaProps;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: ValidationRule[];
}

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
}

/** File name of a kind's CRD, controller-gen style (`<group>_<plural>.yaml`). */
export function crdFileName(kind: PoolKind): string {
  return `${IPAM_GROUP}_${POOL_KIND_INFO[kind].plural}.yaml`;
}

/** Every CRD in the directory, sorted by file name. Throws on unreadable or malformed files. */
export function loadCrds(dir: string = CRD_DIR): CustomResourceDefinition[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .flatMap((file) => parseCrdFile(readFileSync(join(dir, file), 'utf8'), file));
}

/** The CRD of one of our kinds. */
export function loadCrd(kind: PoolKind, dir: string = CRD_DIR): CustomResourceDefinition {
  const file = crdFileName(kind);
  const docs = parseCrdFile(readFileSync(join(dir, file), 'utf8'), file);
  const crd = docs.find((d) => d.spec.names.kind === kind);
  if (crd === undefined) throw new Error(`${file}: no CustomResourceDefinition for ${kind}`);
  return crd;
}

function parseCrdFile(text: string, file: string): CustomResourceDefinition[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS({ maxAliasCount: -1 });
    if (value === null || value === undefined) return [];
    if (!isCrd(value)) throw new Error(`${file}: not an apiextensions.k8s.io/v1 CustomResourceDefinition`);
    return [value];
  });
}

function isCrd(value: unknown): value is CustomResourceDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.apiVersion === 'apiextensions.k8s.io/v1' &&
    v.kind === 'CustomResourceDefinition' &&
    typeof v.spec === 'object' &&
    v.spec !== null
  );
}
