// A live data source for the Ink browser: re-reads the inventory every few seconds (k9s' default
// refresh is 2 s) and hands out fresh snapshots; release goes through the same path as the CLI.
import type { Inventory } from './model.js';
import { applyRelease, planRelease, releaseTargetOf } from './release.js';
import { readInventory, type ReadScope, type Session } from './session.js';

export type LiveEvent = { readonly type: 'snapshot'; readonly snapshot: Inventory } | { readonly type: 'error'; readonly message: string };

export interface LiveSource {
  readonly context: string;
  subscribe(listener: (event: LiveEvent) => void): () => void;
  release(target: { namespace: string; name: string; address: string }): Promise<{ ok: boolean; message: string }>;
}

export function createLiveSource(session: Session, scope: ReadScope, intervalMs = 2000): LiveSource {
  let latest: Inventory | undefined;
  return {
    context: session.context,
    subscribe(listener) {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const tick = async (): Promise<void> => {
        try {
          latest = await readInventory(session, scope);
          if (!stopped) listener({ type: 'snapshot', snapshot: latest });
        } catch (error) {
          if (!stopped) listener({ type: 'error', message: error instanceof Error ? error.message : String(error) });
        }
        if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
      };
      void tick();
      return () => {
        stopped = true;
        if (timer !== undefined) clearTimeout(timer);
      };
    },
    async release(target) {
      const inv = latest ?? (await readInventory(session, scope));
      const a = inv.addresses.find((x) => x.namespace === target.namespace && x.name === target.name);
      if (a === undefined) return { ok: false, message: `IPAddress ${target.namespace}/${target.name} not found` };
      // The browser asks for confirmation itself; it releases even when the claim exists (force).
      const plan = planRelease(releaseTargetOf(a), { force: true });
      const r = await applyRelease(session, plan, { force: true });
      return { ok: r.outcome === 'released' || r.outcome === 'already-gone', message: r.message };
    },
  };
}
