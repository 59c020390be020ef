// The one rule for force-releasing an address, shared by `kubectl ipam release`, `release
// --from-report` and the browser's release dialog (pure, no imports: the UI reads it too).
// An address whose claim still exists is released only with an extra confirmation (`--force` on the
// command line, typing `force ADDRESS` in the browser), because the controller then allocates the
// claim an address again — possibly a different one — while a machine may still use the old one.

/** The facts about the claim of the IPAddress being released. */
export interface ReleaseClaimFacts {
  readonly namespace: string;
  readonly claimName: string;
  readonly claimExists: boolean;
  readonly claimDeleting: boolean;
}

export interface ReleaseRule {
  /** The claim still exists (and is not being deleted): releasing needs the extra confirmation. */
  readonly needsForce: boolean;
  /** What happens to the claim when the address is released; undefined when it is gone. */
  readonly consequence: string | undefined;
}

export function releaseRule(t: ReleaseClaimFacts): ReleaseRule {
  const claim = `claim ${t.namespace}/${t.claimName}`;
  if (!t.claimExists) return { needsForce: false, consequence: undefined };
  if (t.claimDeleting)
    return {
      needsForce: false,
      consequence: `${claim} is being deleted; releasing skips the controller's own release (and any reuse grace period)`,
    };
  return {
    needsForce: true,
    consequence: `its ${claim} still exists: the controller will allocate it an address again, possibly a different one`,
  };
}

/** What the browser asks to be typed: the address, or `force ADDRESS` when a claim still exists. */
export function releaseConfirmation(address: string, needsForce: boolean): string {
  return needsForce ? `force ${address}` : address;
}
