/**
 * docs/QUERY.md: the hand-written guide, then, below its marker, the query contract as
 * clari://schema serves it (contractMarkdown, from src/exports/query/contract.ts and metrics.ts).
 */
export const QUERY_DOC_MARKER = "<!-- The rest of this page is written by `npm run docs`";

/** The page with everything below the marker's line replaced by the contract. */
export function renderQueryDoc(page, contract) {
  const at = page.indexOf(QUERY_DOC_MARKER);
  if (at < 0) throw new Error("docs/QUERY.md has lost its marker line");
  const end = page.indexOf("\n", at) + 1;
  return `${page.slice(0, end)}\n${contract}\n`;
}
