// UI state and its reducer. Pure: every transition is a plain action, and anything that needs the
// derived view (the map grid, the list rows) is computed by the caller and passed in the action.
import type { IPRange } from '@ipam-in-cluster/allocator';
import type { PromptKind } from '../keys.js';
import type { BrowserScope, BrowserSnapshot } from '../model/source.js';

export type Page = 'list' | 'pool' | 'address' | 'release';

/** One zoom level of the map: the range in view and where the cursor was. */
export interface ZoomLevel {
  readonly scope: IPRange | undefined;
  readonly cursor: bigint | undefined;
}

export interface Message {
  readonly text: string;
  readonly tone: 'info' | 'ok' | 'error';
}

export interface UIState {
  readonly page: Page;
  readonly help: boolean;
  readonly snapshot: BrowserSnapshot | undefined;
  readonly sourceError: string | undefined;
  /** The namespace asked for with `:ns` (undefined: the source's own, from -n / -A / the context). */
  readonly scope: BrowserScope | undefined;
  /** Updates received (for "live" feedback). */
  readonly updates: number;
  readonly listCursor: number;
  readonly listCursorId: string | undefined;
  readonly filter: string;
  readonly poolId: string | undefined;
  /** Zoom stack; the last entry is in view. Never empty while a pool is open. */
  readonly zoom: readonly ZoomLevel[];
  /** The address shown by the detail page and the release dialog. */
  readonly address: string | undefined;
  readonly prompt: { readonly kind: PromptKind; readonly text: string } | undefined;
  readonly releasing: boolean;
  readonly message: Message | undefined;
}

export const initialState: UIState = {
  page: 'list',
  help: false,
  snapshot: undefined,
  sourceError: undefined,
  scope: undefined,
  updates: 0,
  listCursor: 0,
  listCursorId: undefined,
  filter: '',
  poolId: undefined,
  zoom: [],
  address: undefined,
  prompt: undefined,
  releasing: false,
  message: undefined,
};

export type UIAction =
  | { type: 'snapshot'; snapshot: BrowserSnapshot }
  | { type: 'sourceError'; message: string }
  | { type: 'scope'; scope: BrowserScope }
  | { type: 'listCursor'; index: number; id: string | undefined }
  | { type: 'openPool'; id: string }
  | { type: 'mapCursor'; at: bigint | undefined }
  | { type: 'zoomIn'; scope: IPRange; cursor: bigint }
  | { type: 'zoomOut' }
  | { type: 'openAddress'; address: string }
  | { type: 'openRelease'; address: string }
  | { type: 'back' }
  | { type: 'help'; open: boolean }
  | { type: 'prompt'; kind: PromptKind }
  | { type: 'promptText'; text: string }
  | { type: 'promptAppend'; text: string }
  | { type: 'promptErase' }
  | { type: 'promptClose' }
  | { type: 'filter'; text: string }
  | { type: 'releaseStarted' }
  | { type: 'releaseDone'; ok: boolean; message: string }
  | { type: 'message'; message: Message | undefined };

function setTop(zoom: readonly ZoomLevel[], patch: Partial<ZoomLevel>): ZoomLevel[] {
  const top = zoom[zoom.length - 1];
  if (top === undefined) return [{ scope: undefined, cursor: undefined, ...patch }];
  return [...zoom.slice(0, -1), { ...top, ...patch }];
}

export function reducer(state: UIState, action: UIAction): UIState {
  switch (action.type) {
    case 'snapshot':
      // An early snapshot (pools alone) never replaces a complete one.
      if (
        action.snapshot.pending !== undefined &&
        state.snapshot !== undefined &&
        state.snapshot.pending === undefined
      )
        return state;
      return {
        ...state,
        snapshot: action.snapshot,
        sourceError: undefined,
        updates: state.updates + 1,
        // "the map needs the IPAddresses" is answered once they are in.
        ...(state.snapshot?.pending !== undefined && action.snapshot.pending === undefined
          ? { message: undefined }
          : {}),
      };
    case 'sourceError':
      return { ...state, sourceError: action.message };
    case 'scope':
      // Another namespace: back to the list, which reads again from nothing.
      return { ...initialState, scope: action.scope, filter: state.filter };
    case 'listCursor':
      return { ...state, listCursor: action.index, listCursorId: action.id };
    case 'openPool':
      return {
        ...state,
        page: 'pool',
        poolId: action.id,
        zoom: [{ scope: undefined, cursor: undefined }],
        message: undefined,
        prompt: undefined,
      };
    case 'mapCursor':
      return { ...state, zoom: setTop(state.zoom, { cursor: action.at }) };
    case 'zoomIn':
      return { ...state, zoom: [...setTop(state.zoom, {}), { scope: action.scope, cursor: action.cursor }] };
    case 'zoomOut':
      return state.zoom.length > 1 ? { ...state, zoom: state.zoom.slice(0, -1) } : state;
    case 'openAddress':
      return { ...state, page: 'address', address: action.address, message: undefined };
    case 'openRelease':
      return {
        ...state,
        page: 'release',
        address: action.address,
        prompt: { kind: 'confirm', text: '' },
        message: undefined,
      };
    case 'back':
      switch (state.page) {
        case 'release':
          return { ...state, page: 'address', prompt: undefined, releasing: false };
        case 'address':
          return { ...state, page: 'pool' };
        case 'pool':
          if (state.zoom.length > 1) return { ...state, zoom: state.zoom.slice(0, -1) };
          return { ...state, page: 'list', poolId: undefined, zoom: [], message: undefined };
        case 'list':
          return state;
      }
      return state;
    case 'help':
      return { ...state, help: action.open };
    case 'prompt':
      return {
        ...state,
        prompt: {
          kind: action.kind,
          text: action.kind === 'filter' ? state.filter : action.kind === 'command' ? 'ns ' : '',
        },
        message: undefined,
      };
    case 'promptText':
      if (state.prompt === undefined) return state;
      return {
        ...state,
        prompt: { ...state.prompt, text: action.text },
        // The list filter applies as you type.
        ...(state.prompt.kind === 'filter'
          ? { filter: action.text, listCursor: 0, listCursorId: undefined }
          : {}),
      };
    case 'promptAppend':
      if (state.prompt === undefined || state.releasing) return state;
      return reducer(state, { type: 'promptText', text: state.prompt.text + action.text });
    case 'promptErase':
      if (state.prompt === undefined || state.releasing) return state;
      return reducer(state, { type: 'promptText', text: state.prompt.text.slice(0, -1) });
    case 'promptClose':
      return { ...state, prompt: undefined };
    case 'filter':
      return { ...state, filter: action.text, listCursor: 0, listCursorId: undefined };
    case 'releaseStarted':
      return { ...state, releasing: true };
    case 'releaseDone':
      return action.ok
        ? {
            ...state,
            releasing: false,
            page: 'pool',
            prompt: undefined,
            message: { text: action.message, tone: 'ok' },
          }
        : { ...state, releasing: false, message: { text: action.message, tone: 'error' } };
    case 'message':
      return { ...state, message: action.message };
  }
}
