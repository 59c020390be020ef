// RFC 4180 CSV: a header line, then one record per line; a field is quoted when it holds a comma,
// a double quote, CR or LF, with each double quote doubled. Lines end with LF (RFC 4180 says CRLF;
// every CSV reader takes LF, and line tools do not trip over a stray CR). Pure.

/** One field, quoted only when it has to be. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The document: the header record (none when undefined) and then the rows, each line ending with LF. */
export function renderCsv(
  header: readonly string[] | undefined,
  rows: readonly (readonly string[])[],
): string {
  return [...(header === undefined ? [] : [header]), ...rows]
    .map((r) => `${r.map(csvField).join(',')}\n`)
    .join('');
}
