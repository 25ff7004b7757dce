/**
 * Secret redaction for byte streams (an export file on its way to disk). Why: the file may be
 * large, so it is never held whole, yet a secret may straddle two chunks. Each of redactSecrets'
 * stages runs here incrementally: a match is committed only once enough text follows it that no
 * later byte could change it, and text is let go only where no escape straddles the cut, so the
 * output is exactly redactSecrets of the whole text.
 */
import { StringDecoder } from "node:string_decoder";
import { Transform } from "node:stream";
import { redactionStages, type RedactionStage } from "./redact.js";

/** One stage over a text arriving in pieces; holds back fewer than `window` characters (plus one of context for `\b`). */
class IncrementalPass {
  private buffer = "";
  /** buffer[0, start) is context already emitted; scanning resumes at start. */
  private start = 0;

  constructor(private readonly stage: RedactionStage) {}

  push(text: string, final: boolean): string {
    const { window } = this.stage;
    const buf = this.buffer + text;
    let pos = this.start;
    let out = "";
    for (;;) {
      const m = this.stage.find(buf, pos);
      // A match is final only when a whole window of text follows its start.
      if (!m || m.end <= m.start || (!final && m.start + window > buf.length)) break;
      out += buf.slice(pos, m.start) + m.replacement;
      pos = m.end;
    }
    let cut = final ? buf.length : Math.max(pos, buf.length - window + 1);
    if (!final && this.stage.safeCut) cut = Math.max(pos, this.stage.safeCut(buf, cut, pos));
    // Never split a surrogate pair between what is emitted and what is held.
    if (cut > pos && cut < buf.length && isHighSurrogate(buf.charCodeAt(cut - 1))) cut -= 1;
    out += buf.slice(pos, cut);
    const context = Math.min(1, cut);
    this.buffer = buf.slice(cut - context);
    this.start = context;
    return out;
  }
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/**
 * A Transform that scrubs UTF-8 text on the fly with the secrets registered when it is created.
 * It holds back at most about one window per stage, never the whole stream.
 */
export function createRedactingTransform(): Transform {
  const passes = redactionStages().map((stage) => new IncrementalPass(stage));
  const decoder = new StringDecoder("utf8");
  const run = (text: string, final: boolean): Buffer => Buffer.from(passes.reduce((t, pass) => pass.push(t, final), text), "utf8");
  return new Transform({
    transform(chunk: Buffer | string, _encoding, callback) {
      const out = run(typeof chunk === "string" ? chunk : decoder.write(chunk), false);
      callback(null, out.length > 0 ? out : undefined);
    },
    flush(callback) {
      const out = run(decoder.end(), true);
      callback(null, out.length > 0 ? out : undefined);
    },
  });
}
