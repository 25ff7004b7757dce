export declare const QUERY_DOC_MARKER: string;
export declare function renderQueryDoc(page: string, contract: string): string;
