// The one keybinding table. The key handler resolves input through it, the footer shows its hints
// and `?` help renders it, so a key can never work without being documented (or the reverse).
import type { Key } from 'ink';

export type Screen = 'list' | 'pool' | 'address' | 'release' | 'help';

/** A mode where typed characters are text (filter, find, release confirmation). */
export type PromptKind = 'filter' | 'find' | 'confirm' | 'command';

export type Action =
  | 'up'
  | 'down'
  | 'left'
  | 'right'
  | 'pageUp'
  | 'pageDown'
  | 'first'
  | 'last'
  | 'open'
  | 'zoomIn'
  | 'zoomOut'
  | 'explain'
  | 'release'
  | 'filter'
  | 'command'
  | 'back'
  | 'help'
  | 'quit'
  | 'submit'
  | 'cancel'
  | 'erase';

type NamedKey =
  | 'upArrow'
  | 'downArrow'
  | 'leftArrow'
  | 'rightArrow'
  | 'pageUp'
  | 'pageDown'
  | 'home'
  | 'end'
  | 'return'
  | 'escape'
  | 'backspace'
  | 'delete';

export interface KeySpec {
  /** A printable character. */
  readonly input?: string;
  readonly key?: NamedKey;
  readonly ctrl?: boolean;
}

export interface Binding {
  readonly action: Action;
  readonly keys: readonly KeySpec[];
  /** How the keys are written in hints and help. */
  readonly label: string;
  /** Short word for the footer. */
  readonly hint: string;
  /** What the key does on a screen where that differs from `hint` (`/` filters pools, finds an address). */
  readonly hints?: Partial<Record<Screen, string>>;
  readonly description: string;
  /** Screens (or 'prompt' for text entry) where the binding applies. */
  readonly screens: readonly (Screen | 'prompt')[];
  /** Shown in the footer (of every screen it applies to, or of these). */
  readonly footer?: boolean | readonly Screen[];
  /** Changes the cluster: absent in --read-only. */
  readonly writes?: boolean;
}

const NAV: readonly Screen[] = ['list', 'pool', 'address'];

export const BINDINGS: readonly Binding[] = [
  {
    action: 'up',
    keys: [{ key: 'upArrow' }, { input: 'k' }],
    label: '↑ k',
    hint: 'up',
    description: 'Move up',
    screens: ['list', 'pool'],
  },
  {
    action: 'down',
    keys: [{ key: 'downArrow' }, { input: 'j' }],
    label: '↓ j',
    hint: 'down',
    description: 'Move down',
    screens: ['list', 'pool'],
  },
  {
    action: 'left',
    keys: [{ key: 'leftArrow' }, { input: 'h' }],
    label: '← h',
    hint: 'left',
    description: 'Previous cell',
    screens: ['pool'],
  },
  {
    action: 'right',
    keys: [{ key: 'rightArrow' }, { input: 'l' }],
    label: '→ l',
    hint: 'right',
    description: 'Next cell',
    screens: ['pool'],
  },
  {
    action: 'pageUp',
    keys: [{ key: 'pageUp' }, { input: 'b', ctrl: true }],
    label: 'PgUp',
    hint: 'page up',
    description: 'One screen up',
    screens: ['list', 'pool'],
  },
  {
    action: 'pageDown',
    keys: [{ key: 'pageDown' }, { input: 'f', ctrl: true }],
    label: 'PgDn',
    hint: 'page down',
    description: 'One screen down',
    screens: ['list', 'pool'],
  },
  {
    action: 'first',
    keys: [{ key: 'home' }, { input: 'g' }],
    label: 'g Home',
    hint: 'first',
    description: 'First row / cell',
    screens: ['list', 'pool'],
  },
  {
    action: 'last',
    keys: [{ key: 'end' }, { input: 'G' }],
    label: 'G End',
    hint: 'last',
    description: 'Last row / cell',
    screens: ['list', 'pool'],
  },
  {
    action: 'open',
    keys: [{ key: 'return' }],
    label: '⏎',
    hint: 'open',
    description: 'Open pool / zoom / address',
    screens: ['list', 'pool'],
    footer: true,
  },
  {
    action: 'zoomIn',
    keys: [{ input: '+' }, { input: '=' }],
    label: '+',
    hint: 'zoom in',
    description: 'Zoom into the block',
    screens: ['pool'],
  },
  {
    action: 'zoomOut',
    keys: [{ input: '-' }],
    label: '-',
    hint: 'zoom out',
    description: 'Zoom out one level',
    screens: ['pool'],
  },
  {
    action: 'explain',
    keys: [{ input: 'e' }],
    label: 'e',
    hint: 'explain',
    description: 'Explain the address',
    screens: ['pool'],
    footer: true,
  },
  {
    action: 'release',
    keys: [{ input: 'r' }],
    label: 'r',
    hint: 'release',
    description: 'Release (type to confirm)',
    screens: ['pool', 'address'],
    footer: true,
    writes: true,
  },
  {
    action: 'filter',
    keys: [{ input: '/' }],
    label: '/',
    hint: 'filter',
    hints: { list: 'filter pools', pool: 'find address' },
    description: 'Filter pools · find address',
    screens: ['list', 'pool'],
    footer: true,
  },
  {
    action: 'command',
    keys: [{ input: ':' }],
    label: ':ns',
    hint: 'namespace',
    description: 'Namespace: :ns NAME, :ns all',
    screens: NAV,
    footer: ['list'],
  },
  {
    action: 'help',
    keys: [{ input: '?' }],
    label: '?',
    hint: 'help',
    description: 'Show / hide help',
    screens: [...NAV, 'help'],
    footer: true,
  },
  {
    action: 'back',
    keys: [{ key: 'escape' }],
    label: 'Esc',
    hint: 'back',
    description: 'Back / zoom out / clear',
    screens: [...NAV, 'help'],
    footer: true,
  },
  {
    action: 'quit',
    keys: [{ input: 'q' }, { input: 'c', ctrl: true }],
    label: 'q',
    hint: 'quit',
    description: 'Quit',
    screens: [...NAV, 'help'],
    footer: true,
  },
  {
    action: 'submit',
    keys: [{ key: 'return' }],
    label: '⏎',
    hint: 'confirm',
    description: 'Apply / find / confirm',
    screens: ['prompt'],
    footer: true,
  },
  {
    action: 'cancel',
    keys: [{ key: 'escape' }],
    label: 'Esc',
    hint: 'cancel',
    description: 'Cancel typing',
    screens: ['prompt'],
    footer: true,
  },
  {
    action: 'erase',
    keys: [{ key: 'backspace' }, { key: 'delete' }],
    label: '⌫',
    hint: 'erase',
    description: 'Delete last character',
    screens: ['prompt'],
  },
];

function matches(spec: KeySpec, input: string, key: Key): boolean {
  if (spec.key !== undefined) return key[spec.key];
  if (spec.ctrl === true) return key.ctrl && input === spec.input;
  return !key.ctrl && !key.meta && input === spec.input;
}

/** Bindings that apply on a screen (or in a prompt), without writes in read-only mode. */
export function bindingsFor(screen: Screen | 'prompt', readOnly: boolean): Binding[] {
  return BINDINGS.filter((b) => b.screens.includes(screen) && !(readOnly && b.writes === true));
}

/** The action a key press means on a screen, if any. */
export function resolveKey(
  screen: Screen | 'prompt',
  readOnly: boolean,
  input: string,
  key: Key,
): Action | undefined {
  for (const b of bindingsFor(screen, readOnly))
    if (b.keys.some((k) => matches(k, input, key))) return b.action;
  return undefined;
}

/** `⏎ open  / filter pools  ? help` for the footer: each key with what it does on this screen. */
export function footerHints(screen: Screen | 'prompt', readOnly: boolean): { label: string; hint: string }[] {
  return bindingsFor(screen, readOnly)
    .filter(
      (b) =>
        b.footer === true || (Array.isArray(b.footer) && screen !== 'prompt' && b.footer.includes(screen)),
    )
    .map((b) => ({
      label: b.label.split(' ')[0] ?? b.label,
      hint: (screen === 'prompt' ? undefined : b.hints?.[screen]) ?? b.hint,
    }));
}
