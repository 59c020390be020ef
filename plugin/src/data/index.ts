// Public data layer of the plugin: the view model (model.ts), its pure builder (snapshot.ts), the
// cluster reads and writes (session.ts), and the explain / doctor / release logic. The Ink browser
// (src/ui) consumes this module only; it never talks to the cluster itself.
export {
  KIND_SHORT,
  type AddressView,
  type ClaimView,
  type Inventory,
  type PoolKey,
  type PoolKindShort,
  type PoolSnapshot,
  type PoolSummary,
  type Severity,
  type StatusCountsView,
} from './model.js';
export {
  CRITICAL_PERCENT,
  WARNING_PERCENT,
  buildInventory,
  poolKeyText,
  ratio,
  severityOf,
  type InventoryInput,
} from './snapshot.js';
export { PoolCounter } from './pool-summary.js';
