/** @jsxRuntime automatic */
// Layout (App) and the container that owns state, keys and the data source (Browser).
import { Box, useApp, useInput, useWindowSize } from 'ink';
import { useCallback, useMemo, type ReactNode } from 'react';
import { Footer } from './components/Footer.js';
import { Header } from './components/Header.js';
import { StatusLine } from './components/StatusLine.js';
import type { BrowserDataSource } from './model/source.js';
import { AddressDetail } from './screens/AddressDetail.js';
import { Help } from './screens/Help.js';
import { PoolList } from './screens/PoolList.js';
import { PoolMap } from './screens/PoolMap.js';
import { ReleaseDialog } from './screens/ReleaseDialog.js';
import { ActionsContext, useActions, useView, ViewContext } from './state/context.js';
import { useBrowserController } from './state/controller.js';
import { makeTheme } from './theme.js';

/** The layout: header, bordered body (the current screen), status line, key hints. */
export function App(): ReactNode {
  const { geometry, state, theme } = useView();
  let body: ReactNode;
  if (state.help) body = <Help />;
  else if (state.page === 'list') body = <PoolList />;
  else if (state.page === 'pool') body = <PoolMap />;
  else if (state.page === 'address') body = <AddressDetail />;
  else body = <ReleaseDialog />;
  return (
    <Box flexDirection="column" width={geometry.columns} height={geometry.rows}>
      <Header />
      <Box
        borderStyle={theme.ascii ? 'classic' : 'round'}
        borderColor={theme.styles.muted.color}
        paddingX={1}
        height={geometry.bodyRows + 2}
        width={geometry.columns}
        flexDirection="column"
        overflow="hidden"
      >
        {body}
      </Box>
      <StatusLine />
      <Footer />
    </Box>
  );
}

/** The one key handler: text while a prompt is open, else the binding table. */
function Keys(): null {
  const actions = useActions();
  useInput((input, key) => {
    actions.key(input, key);
  });
  return null;
}

export interface BrowserProps {
  readonly source: BrowserDataSource;
  readonly readOnly: boolean;
  readonly noColor: boolean;
  /** ASCII stand-ins for block, box and mark characters (TERM=dumb, a non-UTF-8 locale; ADR 0020). */
  readonly ascii?: boolean | undefined;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  readonly columns?: number | undefined;
  readonly rows?: number | undefined;
  readonly now?: (() => Date) | undefined;
  /** Called on quit instead of exiting the Ink app. */
  readonly onQuit?: (() => void) | undefined;
}

export function Browser(props: BrowserProps): ReactNode {
  const app = useApp();
  const size = useWindowSize();
  const theme = useMemo(() => makeTheme(props.noColor, props.ascii === true), [props.noColor, props.ascii]);
  const { onQuit } = props;
  const quit = useCallback(() => {
    if (onQuit !== undefined) onQuit();
    else app.exit();
  }, [app, onQuit]);
  const { view, actions } = useBrowserController({
    source: props.source,
    readOnly: props.readOnly,
    theme,
    columns: props.columns ?? size.columns,
    rows: props.rows ?? size.rows,
    context: props.source.context,
    now: props.now,
    onQuit: quit,
  });
  return (
    <ViewContext value={view}>
      <ActionsContext value={actions}>
        <Keys />
        <App />
      </ActionsContext>
    </ViewContext>
  );
}
