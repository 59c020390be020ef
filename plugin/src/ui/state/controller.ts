// The browser's controller: derives the view from the state, turns key actions into reducer
// actions (pure `decide`) and runs the two side effects (quit, release) through the data source.
import { parseAddr } from '@ipam-in-cluster/allocator';
import type { Key } from 'ink';
import { releaseConfirmation } from '../../data/release-rule.js';
import { useCallback, useEffect, useMemo, useReducer, useRef } from 'react';
import { resolveKey, type Action, type Screen } from '../keys.js';
import { geometry } from '../layout.js';
import { addressDetail, holdersOf, holderView } from '../model/detail.js';
import { buildGrid, cellIndexAt, moveInGrid, poolExtent, type Direction } from '../model/grid.js';
import { clampIndex, poolRows } from '../model/list.js';
import { buildPrefixGrid } from '../model/prefix-grid.js';
import { reservationsAt } from '../model/reservations.js';
import type { BrowserDataSource, BrowserScope, ReleaseTarget } from '../model/source.js';
import type { Theme } from '../theme.js';
import type { BrowserActions, BrowserView } from './context.js';
import { initialState, reducer, type UIAction, type UIState } from './reducer.js';

export interface ViewOptions {
  readonly readOnly: boolean;
  readonly theme: Theme;
  readonly columns: number;
  readonly rows: number;
  readonly context: string | undefined;
  /** The source's own scope (before `:ns` and before the first snapshot says). */
  readonly sourceScope?: BrowserScope | undefined;
  readonly now: Date;
}

/** The scope in view: asked for with `:ns`, else what the snapshot was read for, else the source's. */
export function scopeOf(state: UIState, sourceScope: BrowserScope | undefined): BrowserScope | undefined {
  return state.scope ?? state.snapshot?.scope ?? sourceScope;
}

/** `namespace capi-a`, `all namespaces`, or undefined while unknown. */
export function scopeText(scope: BrowserScope | undefined): string | undefined {
  if (scope === undefined) return undefined;
  if (scope.allNamespaces) return 'all namespaces';
  return scope.namespace === undefined ? undefined : `namespace ${scope.namespace}`;
}

/**
 * `:` commands: `ns NAME` (also `namespace NAME`), `ns all` / `ns -A` / `ns *` for every
 * namespace. Returns the scope, or an error message naming what was typed.
 */
export function parseCommand(text: string): { scope: BrowserScope } | { error: string } {
  const words = text
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  const [verb, arg, ...more] = words;
  if (verb !== 'ns' && verb !== 'namespace')
    return { error: `unknown command ":${text.trim()}" (try :ns NAME or :ns all)` };
  if (arg === undefined) return { error: 'which namespace? :ns NAME, or :ns all for every namespace' };
  if (more.length > 0) return { error: `one namespace at a time: :ns ${arg}` };
  if (arg === 'all' || arg === '-A' || arg === '*')
    return { scope: { namespace: undefined, allNamespaces: true } };
  // A DNS-1123 label, as Kubernetes names namespaces.
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(arg))
    return { error: `"${arg}" is not a namespace name (lower-case letters, digits and "-")` };
  return { scope: { namespace: arg, allNamespaces: false } };
}

export function screenOf(state: UIState): Screen {
  return state.help ? 'help' : state.page;
}

/** Everything the components show, from the state. Pure. */
export function deriveView(state: UIState, o: ViewOptions): BrowserView {
  const pools = state.snapshot?.pools ?? [];
  const rows = poolRows(pools, state.filter);
  let listIndex = state.listCursorId === undefined ? -1 : rows.findIndex((r) => r.id === state.listCursorId);
  if (listIndex < 0) listIndex = clampIndex(state.listCursor, rows.length);
  const pool = state.poolId === undefined ? undefined : pools.find((p) => p.id === state.poolId);
  const geo = geometry(o.columns, o.rows, pool?.family);
  const top = state.zoom[state.zoom.length - 1];
  const claims = state.snapshot?.coverage?.claims;
  const claimsRead =
    claims === undefined || claims.all ? undefined : (ns: string): boolean => claims.namespaces.includes(ns);
  const grid =
    pool === undefined || state.page === 'list'
      ? undefined
      : pool.type === 'prefix'
        ? buildPrefixGrid({ pool, perRow: geo.perRow, claimsRead })
        : buildGrid({ pool, scope: top?.scope, perRow: geo.perRow, fitRows: geo.mapRows, claimsRead });
  const cellIndex = grid === undefined ? -1 : cellIndexAt(grid, top?.cursor);
  const detail =
    pool !== undefined && state.address !== undefined ? addressDetail(pool, state.address, o.now) : undefined;
  const releaseHolders =
    pool !== undefined && state.address !== undefined
      ? holdersOf(pool, state.address).map((a) => holderView(a, o.now))
      : [];
  return {
    state,
    screen: screenOf(state),
    readOnly: o.readOnly,
    theme: o.theme,
    glyphs: o.theme.text,
    geometry: geo,
    context: o.context,
    scope: scopeOf(state, o.sourceScope),
    now: o.now,
    rows,
    listIndex,
    pool,
    grid,
    cellIndex,
    cell: grid?.cells[cellIndex],
    detail,
    releaseHolders,
  };
}

export type Effect = { type: 'quit' } | { type: 'release'; targets: ReleaseTarget[] };

export interface Decision {
  readonly actions: readonly UIAction[];
  readonly effect?: Effect;
}

const MOVES: readonly Action[] = ['up', 'down', 'left', 'right', 'pageUp', 'pageDown', 'first', 'last'];

function decideList(v: BrowserView, action: Action): Decision {
  const n = v.rows.length;
  const page = v.geometry.listRows;
  const to = (i: number): Decision => {
    const index = clampIndex(i, n);
    return { actions: [{ type: 'listCursor', index, id: v.rows[index]?.id }] };
  };
  switch (action) {
    case 'up':
      return to(v.listIndex - 1);
    case 'down':
      return to(v.listIndex + 1);
    case 'pageUp':
      return to(v.listIndex - page);
    case 'pageDown':
      return to(v.listIndex + page);
    case 'first':
      return to(0);
    case 'last':
      return to(n - 1);
    case 'open': {
      const row = v.rows[v.listIndex];
      if (row === undefined) return { actions: [] };
      const pool = v.state.snapshot?.pools.find((p) => p.id === row.id);
      // An early snapshot (pools alone): the map waits for the IPAddresses.
      if (v.state.snapshot?.pending !== undefined)
        return {
          actions: [
            {
              type: 'message',
              message: { text: `${row.id}: the map needs the IPAddresses; still reading them`, tone: 'info' },
            },
          ],
        };
      if ((pool?.type === 'prefix' ? pool.prefixLayout : pool?.layout) === undefined)
        return {
          actions: [
            { type: 'message', message: { text: `${row.id}: ${pool?.error ?? 'no layout'}`, tone: 'error' } },
          ],
        };
      return {
        actions: [
          { type: 'listCursor', index: v.listIndex, id: row.id },
          { type: 'openPool', id: row.id },
        ],
      };
    }
    case 'filter':
      return { actions: [{ type: 'prompt', kind: 'filter' }] };
    case 'command':
      return { actions: [{ type: 'prompt', kind: 'command' }] };
    case 'back':
      return v.state.filter !== ''
        ? { actions: [{ type: 'filter', text: '' }] }
        : { actions: [], effect: { type: 'quit' } };
    default:
      return { actions: [] };
  }
}

function releaseDecision(v: BrowserView, address: string): Decision {
  if (v.readOnly) return { actions: [] };
  const holders = v.pool === undefined ? [] : holdersOf(v.pool, address);
  const kept = v.pool === undefined ? undefined : reservationsAt(v.pool, address)[0];
  // A reservation is not released here: it is an object of its own, removed by unreserve.
  if (holders.length === 0 && kept !== undefined)
    return {
      actions: [
        {
          type: 'message',
          message: {
            text: `not released here: reserved by ${kept.namespace}/${kept.name} (kubectl ipam unreserve)`,
            tone: 'info',
          },
        },
      ],
    };
  if (holders.length === 0)
    return {
      actions: [
        {
          type: 'message',
          message: { text: `no IPAddress holds ${address}; nothing to release`, tone: 'info' },
        },
      ],
    };
  return { actions: [{ type: 'openRelease', address }] };
}

function decidePool(v: BrowserView, action: Action): Decision {
  const grid = v.grid;
  const cell = v.cell;
  if (MOVES.includes(action)) {
    if (grid === undefined) return { actions: [] };
    const i = moveInGrid(grid, v.cellIndex, action as Direction, v.geometry.mapRows);
    const target = grid.cells[i];
    return target === undefined ? { actions: [] } : { actions: [{ type: 'mapCursor', at: target.start }] };
  }
  switch (action) {
    case 'open':
    case 'zoomIn':
      if (cell === undefined) return { actions: [] };
      if (cell.size > 1n)
        return {
          actions: [
            {
              type: 'zoomIn',
              scope: { family: cell.family, from: cell.start, to: cell.end },
              cursor: cell.start,
            },
          ],
        };
      return action === 'open'
        ? { actions: [{ type: 'openAddress', address: cell.startText }] }
        : { actions: [] };
    case 'zoomOut':
      return { actions: [{ type: 'zoomOut' }] };
    case 'explain':
      if (cell === undefined) return { actions: [] };
      if (cell.size > 1n)
        return {
          actions: [
            {
              type: 'message',
              message: { text: 'a cell holds several addresses: zoom in (⏎) to pick one', tone: 'info' },
            },
          ],
        };
      return { actions: [{ type: 'openAddress', address: cell.startText }] };
    case 'release':
      if (cell === undefined) return { actions: [] };
      if (cell.size > 1n)
        return {
          actions: [
            { type: 'message', message: { text: 'zoom in (⏎) to the address to release', tone: 'info' } },
          ],
        };
      return releaseDecision(v, cell.startText);
    case 'filter':
      return { actions: [{ type: 'prompt', kind: 'find' }] };
    case 'command':
      return { actions: [{ type: 'prompt', kind: 'command' }] };
    case 'back':
      return { actions: [{ type: 'back' }] };
    default:
      return { actions: [] };
  }
}

function decidePrompt(v: BrowserView, action: Action): Decision {
  const prompt = v.state.prompt;
  if (prompt === undefined) return { actions: [] };
  switch (action) {
    case 'erase':
      return { actions: [{ type: 'promptErase' }] };
    case 'cancel':
      if (prompt.kind === 'filter')
        return { actions: [{ type: 'filter', text: '' }, { type: 'promptClose' }] };
      if (prompt.kind === 'confirm')
        return v.state.releasing ? { actions: [] } : { actions: [{ type: 'back' }] };
      return { actions: [{ type: 'promptClose' }] };
    case 'submit':
      switch (prompt.kind) {
        case 'filter':
          return { actions: [{ type: 'promptClose' }] };
        case 'find':
          return findAddress(v, prompt.text.trim());
        case 'command': {
          const parsed = parseCommand(prompt.text);
          if ('error' in parsed)
            return {
              actions: [
                { type: 'promptClose' },
                { type: 'message', message: { text: parsed.error, tone: 'error' } },
              ],
            };
          return { actions: [{ type: 'promptClose' }, { type: 'scope', scope: parsed.scope }] };
        }
        case 'confirm': {
          const address = v.state.address ?? '';
          if (v.state.releasing) return { actions: [] };
          const force = v.releaseHolders.some((h) => h.release.needsForce);
          const expected = releaseConfirmation(address, force);
          if (prompt.text.trim() !== expected) {
            return {
              actions: [
                {
                  type: 'message',
                  message: { text: `type ${expected} exactly to confirm, or Esc to cancel`, tone: 'error' },
                },
              ],
            };
          }
          const targets = v.releaseHolders.map((h) => ({
            namespace: h.namespace,
            name: h.name,
            address,
            force,
          }));
          if (targets.length === 0)
            return {
              actions: [
                {
                  type: 'message',
                  message: { text: `no IPAddress holds ${address} any more`, tone: 'info' },
                },
                { type: 'back' },
              ],
            };
          return { actions: [{ type: 'releaseStarted' }], effect: { type: 'release', targets } };
        }
      }
      return { actions: [] };
    default:
      return { actions: [] };
  }
}

function findAddress(v: BrowserView, text: string): Decision {
  const parsed = parseAddr(text);
  const close: UIAction = { type: 'promptClose' };
  if (!parsed.ok)
    return {
      actions: [close, { type: 'message', message: { text: `not an IP address: ${text}`, tone: 'error' } }],
    };
  const a = parsed.value;
  const grid = v.grid;
  if (
    grid !== undefined &&
    a.family === grid.family &&
    a.value >= grid.scope.from &&
    a.value <= grid.scope.to
  ) {
    const cell = grid.cells[cellIndexAt(grid, a.value)];
    if (cell !== undefined && cell.start <= a.value && a.value <= cell.end)
      return { actions: [close, { type: 'mapCursor', at: a.value }] };
  }
  const extent = v.pool === undefined ? undefined : poolExtent(v.pool);
  if (extent !== undefined && a.family === extent.family && a.value >= extent.from && a.value <= extent.to) {
    // Outside the zoomed view: back to the whole pool with the cursor on it.
    const out: UIAction[] = v.state.zoom.slice(1).map((): UIAction => ({ type: 'zoomOut' }));
    return { actions: [close, ...out, { type: 'mapCursor', at: a.value }] };
  }
  return {
    actions: [
      close,
      { type: 'message', message: { text: `${text} is not in ${v.pool?.id ?? 'this pool'}`, tone: 'error' } },
    ],
  };
}

/** What a key action does in the current view. Pure. */
export function decide(v: BrowserView, action: Action): Decision {
  if (action === 'quit') return { actions: [], effect: { type: 'quit' } };
  if (v.state.prompt !== undefined) return decidePrompt(v, action);
  if (action === 'help') return { actions: [{ type: 'help', open: !v.state.help }] };
  if (v.state.help) return action === 'back' ? { actions: [{ type: 'help', open: false }] } : { actions: [] };
  switch (v.state.page) {
    case 'list':
      return decideList(v, action);
    case 'pool':
      return decidePool(v, action);
    case 'address':
      if (action === 'release' && v.state.address !== undefined) return releaseDecision(v, v.state.address);
      if (action === 'command') return { actions: [{ type: 'prompt', kind: 'command' }] };
      if (action === 'back') return { actions: [{ type: 'back' }] };
      return { actions: [] };
    case 'release':
      return { actions: [] };
  }
}

export interface ControllerOptions extends Omit<ViewOptions, 'now'> {
  readonly source: BrowserDataSource;
  readonly onQuit: () => void;
  readonly now?: (() => Date) | undefined;
}

/** Typed text, without control characters (a pasted newline or an unbound escape sequence). */
export function isPrintable(input: string): boolean {
  for (const ch of input) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

/** One character of a chunk as Ink would have reported it alone. */
export function keyOf(ch: string, base: Key): [string, Key] {
  const plain: Key = { ...base, return: false, backspace: false, delete: false, tab: false, escape: false };
  if (ch === '\r' || ch === '\n') return ['', { ...plain, return: true }];
  if (ch === '\u007F' || ch === '\b') return ['', { ...plain, backspace: true }];
  if (ch === '\t') return ['', { ...plain, tab: true }];
  return [ch, plain];
}

/** Subscribes to the source, holds the state and exposes the view and the actions. */
export function useBrowserController(o: ControllerOptions): { view: BrowserView; actions: BrowserActions } {
  const [state, dispatch] = useReducer(reducer, initialState);
  // A mirror of the state, updated synchronously, so keys that arrive before React re-renders
  // (a burst of `jjj`) are each decided on the state the previous one produced.
  const stateRef = useRef(state);
  const apply = useCallback((a: UIAction) => {
    stateRef.current = reducer(stateRef.current, a);
    dispatch(a);
  }, []);
  const { source, onQuit, readOnly, theme, columns, rows, context, now } = o;
  const scope = state.scope;

  useEffect(() => {
    const listener = (event: Parameters<Parameters<BrowserDataSource['subscribe']>[0]>[0]): void => {
      if (event.type === 'snapshot' || event.type === 'pools')
        apply({ type: 'snapshot', snapshot: event.snapshot });
      else apply({ type: 'sourceError', message: event.message });
    };
    // Subscribing again with another scope is how `:ns` switches namespace.
    return scope === undefined ? source.subscribe(listener) : source.subscribe(listener, scope);
  }, [source, apply, scope]);

  const options = useCallback(
    (): ViewOptions => ({
      readOnly,
      theme,
      columns,
      rows,
      context,
      sourceScope: source.scope,
      now: now?.() ?? new Date(),
    }),
    [readOnly, theme, columns, rows, context, source, now],
  );
  const view = useMemo(() => deriveView(state, options()), [state, options]);
  const viewRef = useRef(view);
  viewRef.current = view;
  const current = useCallback((): BrowserView => {
    const s = stateRef.current;
    return viewRef.current.state === s ? viewRef.current : deriveView(s, options());
  }, [options]);

  const run = useCallback(
    (decision: Decision) => {
      for (const a of decision.actions) apply(a);
      const effect = decision.effect;
      if (effect?.type === 'quit') onQuit();
      if (effect?.type === 'release') {
        void (async () => {
          const messages: string[] = [];
          let ok = true;
          for (const t of effect.targets) {
            try {
              const r = await source.release(t);
              ok &&= r.ok;
              messages.push(r.message);
            } catch (error) {
              ok = false;
              messages.push(error instanceof Error ? error.message : String(error));
            }
          }
          apply({ type: 'releaseDone', ok, message: messages.join('; ') });
        })();
      }
    },
    [source, onQuit, apply],
  );

  const actions = useMemo<BrowserActions>(
    () => ({
      key: function onKey(input, key) {
        // A burst of keys can arrive as one chunk ("/nodes\r" from a fast typist or tmux): one key
        // at a time, each decided on the state the previous one left ("/" opens the prompt first).
        if (input.length > 1 && !input.startsWith('\u001B') && !key.ctrl && !key.meta) {
          for (const ch of Array.from(input)) onKey(...keyOf(ch, key));
          return;
        }
        const v = current();
        const prompt = v.state.prompt !== undefined;
        const action = resolveKey(prompt ? 'prompt' : v.screen, v.readOnly, input, key);
        if (action !== undefined) run(decide(v, action));
        else if (prompt && !key.ctrl && !key.meta && input !== '' && isPrintable(input))
          apply({ type: 'promptAppend', text: input });
      },
      perform: (action) => {
        run(decide(current(), action));
      },
      type: (text) => {
        apply({ type: 'promptAppend', text });
      },
    }),
    [run, current, apply],
  );
  return { view, actions };
}
