// The one source of the webhook configurations: paths, names, rules and policies. The chart, the
// tests and the controller's caBundle injection all use these, so they cannot drift apart.
import {
  IPAM_GROUP,
  OWN_GROUP,
  POOL_KIND_INFO,
  POOL_KINDS,
  POOL_VERSION,
  RESERVATION_KIND,
  RESERVATION_PLURAL,
  RESERVATION_VERSION,
  type PoolKind,
} from '@ipam-in-cluster/api';

export const CONVERSION_PATH = '/convert';

/** `/validate-ipam-in-cluster-dev-v1alpha1-ipaddressreservation` (docs/adr/0030-reservations.md). */
export const RESERVATION_VALIDATE_PATH = `/validate-${OWN_GROUP.replace(/\./g, '-')}-${RESERVATION_VERSION}-${RESERVATION_KIND.toLowerCase()}`;
export const RESERVATION_WEBHOOK_NAME = `validation.${RESERVATION_KIND.toLowerCase()}.${OWN_GROUP}`;

/** The claim finalizer webhook (docs/adr/0037-claim-finalizer-at-admission.md), every claim version. */
export const CLAIM_FINALIZER_PATH = `/mutate-${IPAM_GROUP.replace(/\./g, '-')}-ipaddressclaim`;
export const CLAIM_FINALIZER_WEBHOOK_NAME = `finalizer.ipaddressclaim.${OWN_GROUP}`;
/**
 * Ignore, whatever the pool webhooks use: the controller adds the finalizer itself when the webhook
 * could not, so a claim is never refused or lost because the webhook is down.
 */
export const CLAIM_FINALIZER_FAILURE_POLICY = 'Ignore';
/** A claim create waits at most this long for an unresponsive webhook before going on without it. */
export const CLAIM_FINALIZER_TIMEOUT_SECONDS = 2;
/**
 * Only claims whose poolRef names one of our kinds in our group leave the API server: other
 * providers' claims never wait for us. The webhook applies the same test and the controller's
 * scope itself; `has()` guards a claim without `spec` or `poolRef` (validated only after mutation).
 */
export const CLAIM_MATCH_CONDITION: MatchCondition = {
  name: 'claim-of-an-in-cluster-pool',
  expression:
    'has(object.spec) && has(object.spec.poolRef) && has(object.spec.poolRef.apiGroup) && has(object.spec.poolRef.kind) && ' +
    `object.spec.poolRef.apiGroup == '${IPAM_GROUP}' && object.spec.poolRef.kind in [${POOL_KINDS.map((k) => `'${k}'`).join(', ')}]`,
};

/** `/mutate-ipam-cluster-x-k8s-io-v1alpha2-inclusterippool` (controller-runtime's naming). */
export function mutatePath(kind: PoolKind): string {
  return `/mutate-${IPAM_GROUP.replace(/\./g, '-')}-${POOL_VERSION}-${kind.toLowerCase()}`;
}

/** `/validate-ipam-cluster-x-k8s-io-v1alpha2-inclusterippool`. */
export function validatePath(kind: PoolKind): string {
  return `/validate-${IPAM_GROUP.replace(/\./g, '-')}-${POOL_VERSION}-${kind.toLowerCase()}`;
}

export function mutatingWebhookName(kind: PoolKind): string {
  return `default.${kind.toLowerCase()}.${IPAM_GROUP}`;
}

export function validatingWebhookName(kind: PoolKind): string {
  return `validation.${kind.toLowerCase()}.${IPAM_GROUP}`;
}

/** Where the API server reaches the webhook server. */
export type WebhookTarget =
  | { service: { name: string; namespace: string; port?: number } }
  /** Loopback URLs only in tests; the base must be `https://host:port`. */
  | { url: string };

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

export interface WebhookConfigOptions {
  /** metadata.name of both configurations. */
  name: string;
  target: WebhookTarget;
  /** PEM of the CA that signed the serving certificate; omitted when something else injects it. */
  caBundlePem?: string | undefined;
  failurePolicy?: 'Fail' | 'Ignore';
  timeoutSeconds?: number;
  /** Kinds to register (default: all four). */
  kinds?: readonly PoolKind[];
  /** Register the IPAddressReservation validation too (default: when `kinds` is not given). */
  reservations?: boolean;
  /** Register the claim finalizer webhook too (default: when `kinds` is not given). */
  claimFinalizer?: boolean;
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface WebhookClientConfig {
  service?: { name: string; namespace: string; path: string; port?: number };
  url?: string;
  caBundle?: string;
}

/** admissionregistration.k8s.io/v1 MatchCondition: the webhook is called only when `expression` is true. */
export interface MatchCondition {
  name: string;
  expression: string;
}

/**
 * Every pool webhook is called for CREATE, DELETE and an UPDATE that changes `spec`; an UPDATE with
 * the spec unchanged (metadata only: the allocation fence of ADR 0009, finalizers, labels,
 * annotations) never leaves the API server. Skipping those changes no outcome:
 *
 * - validating: `validateUpdate` admits a spec-unchanged update at once, without warnings (nothing
 *   can become invalid or stranded when the spec stays), so the answer is a constant;
 * - mutating: the only default is prefix pools' `allocationPrefixLength` 64 for unset or 0. The CRD
 *   schema defaults the field to 64 (minimum 1), and the API server applies schema defaults when it
 *   decodes the request and when it reads the stored object, so on an update whose spec equals the
 *   stored one the field is already set and the webhook would answer "allowed, no patch". (A 0
 *   stored before the schema's minimum — kept by validation ratcheting — stays 0 until the next spec
 *   edit; 0 and unset mean 64 everywhere: `effectiveAllocationPrefixLength`.) IP pools: no defaults.
 *
 * The expression never fails to evaluate (an error would reject the request under
 * failurePolicy Fail): `object` is null for DELETE and `oldObject` for CREATE, so anything other
 * than an UPDATE matches before either is read (CEL's `||` is true if either side is, whatever the
 * other); on UPDATE both exist, and `has()` guards a missing `spec`.
 */
export const SPEC_CHANGE_MATCH_CONDITION: MatchCondition = {
  name: 'create-delete-or-spec-change',
  expression:
    "request.operation != 'UPDATE' || has(object.spec) != has(oldObject.spec) || " +
    '(has(object.spec) && object.spec != oldObject.spec)',
};

export interface Webhook {
  name: string;
  admissionReviewVersions: string[];
  sideEffects: 'None';
  matchPolicy: 'Equivalent';
  failurePolicy: 'Fail' | 'Ignore';
  timeoutSeconds: number;
  clientConfig: WebhookClientConfig;
  rules: {
    apiGroups: string[];
    apiVersions: string[];
    operations: string[];
    resources: string[];
    scope?: string;
  }[];
  matchConditions: MatchCondition[];
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  reinvocationPolicy?: 'Never';
}

export interface WebhookConfiguration {
  apiVersion: 'admissionregistration.k8s.io/v1';
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration';
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  webhooks: Webhook[];
}

export function clientConfig(
  target: WebhookTarget,
  path: string,
  caBundlePem: string | undefined,
): WebhookClientConfig {
  const config: WebhookClientConfig =
    'url' in target
      ? { url: `${target.url.replace(/\/+$/, '')}${path}` }
      : {
          service: {
            ...target.service,
            path,
            ...(target.service.port === undefined ? {} : { port: target.service.port }),
          },
        };
  if (caBundlePem !== undefined) config.caBundle = Buffer.from(caBundlePem).toString('base64');
  return config;
}

type Rule = Webhook['rules'][number];

/** The rule of one pool kind's webhook (its own plural and scope). */
function poolRule(kind: PoolKind, operations: string[]): Rule {
  return {
    apiGroups: [IPAM_GROUP],
    apiVersions: [POOL_VERSION],
    operations,
    resources: [POOL_KIND_INFO[kind].plural],
    scope: POOL_KIND_INFO[kind].namespaced ? 'Namespaced' : 'Cluster',
  };
}

/** One webhook: the options' policy, timeout and selectors (the namespace one for a namespaced rule). */
function webhook(
  options: WebhookConfigOptions,
  name: string,
  path: string,
  rule: Rule,
  matchCondition: MatchCondition = SPEC_CHANGE_MATCH_CONDITION,
): Webhook {
  const w: Webhook = {
    name,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    matchPolicy: 'Equivalent',
    failurePolicy: options.failurePolicy ?? 'Fail',
    timeoutSeconds: options.timeoutSeconds ?? 10,
    clientConfig: clientConfig(options.target, path, options.caBundlePem),
    rules: [rule],
    matchConditions: [{ ...matchCondition }],
  };
  if (options.namespaceSelector !== undefined && rule.scope === 'Namespaced')
    w.namespaceSelector = options.namespaceSelector;
  if (options.objectSelector !== undefined) w.objectSelector = options.objectSelector;
  return w;
}

function metadata(options: WebhookConfigOptions): WebhookConfiguration['metadata'] {
  const m: WebhookConfiguration['metadata'] = { name: options.name };
  if (options.labels !== undefined) m.labels = options.labels;
  if (options.annotations !== undefined) m.annotations = options.annotations;
  return m;
}

/**
 * The MutatingWebhookConfiguration: defaulting on CREATE and UPDATE for each kind, then the claim
 * finalizer on IPAddressClaim CREATE (Cluster API's group and kind, every version).
 */
export function mutatingWebhookConfiguration(options: WebhookConfigOptions): WebhookConfiguration {
  const kinds = options.kinds ?? POOL_KINDS;
  const webhooks: Webhook[] = kinds.map((k) => ({
    ...webhook(options, mutatingWebhookName(k), mutatePath(k), poolRule(k, ['CREATE', 'UPDATE'])),
    reinvocationPolicy: 'Never' as const,
  }));
  if (options.claimFinalizer ?? options.kinds === undefined) {
    const claims: Rule = {
      apiGroups: [IPAM_GROUP],
      apiVersions: ['*'],
      operations: ['CREATE'],
      resources: ['ipaddressclaims'],
      scope: 'Namespaced',
    };
    webhooks.push({
      ...webhook(options, CLAIM_FINALIZER_WEBHOOK_NAME, CLAIM_FINALIZER_PATH, claims, CLAIM_MATCH_CONDITION),
      failurePolicy: CLAIM_FINALIZER_FAILURE_POLICY,
      timeoutSeconds: CLAIM_FINALIZER_TIMEOUT_SECONDS,
      reinvocationPolicy: 'Never',
    });
  }
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: metadata(options),
    webhooks,
  };
}

/**
 * The ValidatingWebhookConfiguration: CREATE, UPDATE and DELETE for each pool kind, then CREATE and
 * UPDATE for IPAddressReservations (namespaced, our own group).
 */
export function validatingWebhookConfiguration(options: WebhookConfigOptions): WebhookConfiguration {
  const kinds = options.kinds ?? POOL_KINDS;
  const webhooks = kinds.map((k) =>
    webhook(options, validatingWebhookName(k), validatePath(k), poolRule(k, ['CREATE', 'UPDATE', 'DELETE'])),
  );
  if (options.reservations ?? options.kinds === undefined) {
    webhooks.push(
      webhook(options, RESERVATION_WEBHOOK_NAME, RESERVATION_VALIDATE_PATH, {
        apiGroups: [OWN_GROUP],
        apiVersions: [RESERVATION_VERSION],
        operations: ['CREATE', 'UPDATE'],
        resources: [RESERVATION_PLURAL],
        scope: 'Namespaced',
      }),
    );
  }
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: metadata(options),
    webhooks,
  };
}

/** The CRD `spec.conversion` block for the IP pool CRDs. */
export function conversionSpec(
  target: WebhookTarget,
  caBundlePem: string | undefined,
): Record<string, unknown> {
  return {
    strategy: 'Webhook',
    webhook: {
      conversionReviewVersions: ['v1'],
      clientConfig: clientConfig(target, CONVERSION_PATH, caBundlePem),
    },
  };
}
