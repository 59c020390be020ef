// The two contexts every component reads: the view (state plus everything derived from it) and
// the actions. Components never touch the data source; the controller does.
import type { Key } from 'ink';
import { createContext, useContext } from 'react';
import type { Action, Screen } from '../keys.js';
import type { Geometry } from '../layout.js';
import type { AddressDetail, HolderView } from '../model/detail.js';
import type { MapCell, MapGrid } from '../model/grid.js';
import type { PoolRow } from '../model/list.js';
import type { BrowserPool, BrowserScope } from '../model/source.js';
import type { Theme } from '../theme.js';
import type { UIState } from './reducer.js';

export interface BrowserView {
  readonly state: UIState;
  /** The screen whose keys apply ('help' while help is open). */
  readonly screen: Screen;
  readonly readOnly: boolean;
  readonly theme: Theme;
  /** Text as the terminal can show it (ASCII stand-ins where it cannot draw blocks; ADR 0020). */
  readonly glyphs: (text: string) => string;
  readonly geometry: Geometry;
  readonly context: string | undefined;
  /** The namespace in view (undefined while unknown). */
  readonly scope: BrowserScope | undefined;
  readonly now: Date;
  readonly rows: readonly PoolRow[];
  readonly listIndex: number;
  readonly pool: BrowserPool | undefined;
  readonly grid: MapGrid | undefined;
  readonly cellIndex: number;
  readonly cell: MapCell | undefined;
  /** The explanation of the address on the detail page and in the release dialog. */
  readonly detail: AddressDetail | undefined;
  /** IPAddress objects the release would delete. */
  readonly releaseHolders: readonly HolderView[];
}

export interface BrowserActions {
  /** A key press: resolved through the binding table against the latest state. */
  key(input: string, key: Key): void;
  perform(action: Action): void;
  /** Text typed into the active prompt. */
  type(text: string): void;
}

export const ViewContext = createContext<BrowserView | undefined>(undefined);
export const ActionsContext = createContext<BrowserActions | undefined>(undefined);

export function useView(): BrowserView {
  const v = useContext(ViewContext);
  if (v === undefined) throw new Error('useView outside the browser');
  return v;
}

export function useActions(): BrowserActions {
  const a = useContext(ActionsContext);
  if (a === undefined) throw new Error('useActions outside the browser');
  return a;
}
