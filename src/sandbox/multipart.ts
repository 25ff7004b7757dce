/**
 * A minimal multipart/form-data parser (RFC 7578), enough for one uploaded file.
 */

export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export function boundaryOf(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data/i.test(contentType)) return null;
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

/** Parse a multipart body; null when it is not well formed. */
export function parseMultipart(body: Buffer, boundary: string): Part[] | null {
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  let pos = body.indexOf(delimiter);
  if (pos < 0) return null;
  pos += delimiter.length;
  const parts: Part[] = [];
  for (;;) {
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts; // closing "--"
    // Skip optional whitespace then CRLF after the delimiter.
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++;
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) return null;
    pos += 2;
    const headerEnd = body.indexOf("\r\n\r\n", pos);
    if (headerEnd < 0) return null;
    const headers = body.subarray(pos, headerEnd).toString("utf8").split("\r\n");
    const dataStart = headerEnd + 4;
    const dataEnd = body.indexOf(next, dataStart);
    if (dataEnd < 0) return null;
    let name: string | undefined;
    let filename: string | undefined;
    let contentType: string | undefined;
    for (const line of headers) {
      const idx = line.indexOf(":");
      if (idx < 0) continue;
      const key = line.slice(0, idx).trim().toLowerCase();
      const value = line.slice(idx + 1).trim();
      if (key === "content-disposition") {
        name = /\bname="([^"]*)"/i.exec(value)?.[1] ?? /\bname=([^;\s]+)/i.exec(value)?.[1];
        filename = /\bfilename="([^"]*)"/i.exec(value)?.[1] ?? /\bfilename=([^;\s]+)/i.exec(value)?.[1];
      } else if (key === "content-type") {
        contentType = value;
      }
    }
    if (name === undefined) return null;
    const part: Part = { name, data: body.subarray(dataStart, dataEnd) };
    if (filename !== undefined) part.filename = filename;
    if (contentType !== undefined && contentType !== "") part.contentType = contentType;
    parts.push(part);
    pos = dataEnd + next.length;
  }
}
