// Force-release of an IPAddress: plan (pure, printed by the dry run) and apply (with preconditions).
// Releasing removes the ProtectAddress finalizer and deletes the object; it does not unconfigure the
// address on a machine that may still use it.
import { FINALIZER_PROTECT_ADDRESS, IPADDRESS_KIND } from '@ipam-in-cluster/api';
import { classifyApiError } from '@ipam-in-cluster/kube';
import type { AddressView } from './model.js';
import { releaseRule } from './release-rule.js';
import type { Session } from './session.js';

/** What to release, with the versions the decision was made on. */
export interface ReleaseTarget {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly address: string;
  readonly pool: string | undefined;
  readonly claimName: string;
  readonly claimExists: boolean;
  readonly claimDeleting: boolean;
  readonly finalizers: readonly string[];
}

export interface ReleasePlan {
  readonly target: ReleaseTarget;
  /** Why it will not be done (claim exists without --force). */
  readonly refused: string | undefined;
  /** The API calls, in order, as text. */
  readonly steps: readonly string[];
  readonly warnings: readonly string[];
}

export type ReleaseResult =
  | { readonly outcome: 'released'; readonly message: string; readonly warnings: readonly string[] }
  | { readonly outcome: 'already-gone'; readonly message: string; readonly warnings: readonly string[] }
  | {
      readonly outcome: 'refused' | 'conflict' | 'failed';
      readonly message: string;
      readonly warnings: readonly string[];
    };

export function releaseTargetOf(a: AddressView): ReleaseTarget {
  return {
    namespace: a.namespace,
    name: a.name,
    uid: a.uid,
    resourceVersion: a.resourceVersion,
    address: a.address,
    pool: a.poolId,
    claimName: a.claimName,
    claimExists: a.claim !== undefined,
    claimDeleting: a.claim?.deleting === true,
    finalizers: a.finalizers,
  };
}

export function planRelease(t: ReleaseTarget, options: { force: boolean }): ReleasePlan {
  const steps: string[] = [];
  const warnings: string[] = [];
  const obj = `ipaddresses/${t.name} -n ${t.namespace}`;
  const idx = t.finalizers.indexOf(FINALIZER_PROTECT_ADDRESS);
  if (idx !== -1) {
    steps.push(
      `PATCH ${obj} (application/json-patch+json; test resourceVersion=${t.resourceVersion}): remove finalizer ${FINALIZER_PROTECT_ADDRESS}`,
    );
  }
  const others = t.finalizers.filter((f) => f !== FINALIZER_PROTECT_ADDRESS);
  steps.push(
    `DELETE ${obj} (preconditions uid=${t.uid}${idx === -1 ? `, resourceVersion=${t.resourceVersion}` : ''})`,
  );
  steps.push(`POST events -n ${t.namespace}: Warning ForceReleased on IPAddress ${t.name}`);
  if (others.length > 0)
    warnings.push(
      `other finalizers remain (${others.join(', ')}): the IPAddress stays terminating until their owners remove them`,
    );
  const rule = releaseRule(t);
  let refused: string | undefined;
  if (rule.needsForce && !options.force)
    refused = `${rule.consequence ?? ''} (pass --force to release anyway)`;
  else if (rule.consequence !== undefined) warnings.push(rule.consequence);
  warnings.push(`releasing does not unconfigure the address: a machine may still be using ${t.address}`);
  return { target: t, refused, steps, warnings };
}

/** Carries out a plan. Every write is conditional on the object being the one the plan was made for. */
export async function applyRelease(
  session: Session,
  plan: ReleasePlan,
  options: { force: boolean; actor?: string | undefined },
): Promise<ReleaseResult> {
  const t = plan.target;
  const warnings = [...plan.warnings];
  const client = session.client.ipAddresses(session.contract.version);
  const ref = { namespace: t.namespace, name: t.name };
  const label = `${t.address} (IPAddress ${t.namespace}/${t.name})`;
  if (plan.refused !== undefined)
    return { outcome: 'refused', message: `refusing to release ${label}: ${plan.refused}`, warnings };
  try {
    const current = await client.find(ref);
    if (current === undefined)
      return { outcome: 'already-gone', message: `${label} is already gone`, warnings };
    if (current.metadata.uid !== t.uid) {
      return {
        outcome: 'conflict',
        message: `${label} was re-created since it was read (uid changed); nothing done — look again`,
        warnings,
      };
    }
    if (current.metadata.resourceVersion !== t.resourceVersion) {
      return {
        outcome: 'conflict',
        message: `${label} changed since it was read (resourceVersion ${t.resourceVersion} → ${current.metadata.resourceVersion ?? '?'}); nothing done — look again`,
        warnings,
      };
    }
    if (!options.force) {
      const claim = await session.client
        .ipAddressClaims(session.contract.version)
        .find({ namespace: t.namespace, name: t.claimName });
      if (claim !== undefined && claim.metadata.deletionTimestamp === undefined) {
        return {
          outcome: 'refused',
          message: `refusing to release ${label}: its claim ${t.namespace}/${t.claimName} exists now (pass --force)`,
          warnings,
        };
      }
    }
    let rv = t.resourceVersion;
    const finalizers = current.metadata.finalizers ?? [];
    const idx = finalizers.indexOf(FINALIZER_PROTECT_ADDRESS);
    if (idx !== -1) {
      const patched = await client.jsonPatch(
        ref,
        [
          { op: 'test', path: `/metadata/finalizers/${idx}`, value: FINALIZER_PROTECT_ADDRESS },
          { op: 'remove', path: `/metadata/finalizers/${idx}` },
        ],
        { resourceVersion: rv },
      );
      rv = patched.metadata.resourceVersion ?? rv;
      // Removing the last finalizer of a terminating object deletes it right away.
      if (current.metadata.deletionTimestamp !== undefined) {
        await recordEvent(session, t, options.actor, warnings);
        return { outcome: 'released', message: `released ${label}`, warnings };
      }
    }
    try {
      await client.delete(ref, { preconditions: { uid: t.uid, resourceVersion: rv } });
    } catch (error) {
      if (classifyApiError(error).kind !== 'NotFound') throw error;
    }
    await recordEvent(session, t, options.actor, warnings);
    return { outcome: 'released', message: `released ${label}`, warnings };
  } catch (error) {
    const c = classifyApiError(error);
    if (c.kind === 'Conflict' || c.kind === 'Invalid') {
      return {
        outcome: 'conflict',
        message: `${label} changed while releasing (${c.message}); look again`,
        warnings,
      };
    }
    if (c.kind === 'NotFound')
      return { outcome: 'already-gone', message: `${label} is already gone`, warnings };
    throw error;
  }
}

async function recordEvent(
  session: Session,
  t: ReleaseTarget,
  actor: string | undefined,
  warnings: string[],
): Promise<void> {
  const now = new Date().toISOString();
  try {
    await session.client.events().create({
      metadata: { name: `${t.name}.${Date.now().toString(16)}`, namespace: t.namespace },
      involvedObject: {
        apiVersion: session.contract.ipamApiVersion,
        kind: IPADDRESS_KIND,
        name: t.name,
        namespace: t.namespace,
        uid: t.uid,
      },
      reason: 'ForceReleased',
      message: `${t.address} force-released with kubectl ipam${actor === undefined ? '' : ` (as ${actor})`}; claim ${t.claimName}${t.claimExists ? ' still exists' : ' is gone'}; a machine may still be using the address`,
      type: 'Warning',
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: 'kubectl-ipam' },
      reportingComponent: 'kubectl-ipam',
      reportingInstance: 'kubectl-ipam',
      action: 'Release',
    });
  } catch (error) {
    warnings.push(`could not record an Event: ${classifyApiError(error).message}`);
  }
}
