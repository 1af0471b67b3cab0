/**
 * Reads tool calls out of the text of a model that has no native tool calling (see prompted-tools.ts). The
 * model writes `<tool_call>{"name": …, "arguments": {…}}</tool_call>` blocks, or answers with nothing but such a
 * JSON object (or an array of them, optionally in a ```json fence) as small models often do. Text streams on
 * as it arrives; only what could still turn out to be a call is held back: a possible start of `<tool_call>`,
 * an open block, or a reply that so far is only JSON.
 */

/** A call found in the text; `arguments` is a JSON string, as native tool calls carry it. */
export interface ParsedCall {
  name: string;
  arguments: string;
}

export type ParsedPiece = { type: 'text'; text: string } | { type: 'call'; call: ParsedCall };

const OPEN = '<tool_call>';
const CLOSE = '</tool_call>';

/** Feed text with `push`; call `end` once the reply is over. Each returns what can be given out now. */
export class ToolCallParser {
  private buffer = '';
  /** Inside an open `<tool_call>` block. */
  private inCall = false;
  /** The reply so far is only JSON (or a fence around it): held whole until the end. */
  private bare = false;
  /** Something other than whitespace was given out: a bare JSON call is no longer possible. */
  private started = false;

  /** `offered`: tool names a bare JSON reply must name to count as a call (tagged blocks are explicit). */
  constructor(private readonly offered: ReadonlySet<string>) {}

  push(delta: string): ParsedPiece[] {
    this.buffer += delta;
    return this.drain(false);
  }

  end(): ParsedPiece[] {
    return this.drain(true);
  }

  private drain(final: boolean): ParsedPiece[] {
    const out: ParsedPiece[] = [];
    for (;;) {
      if (this.bare) {
        if (final) this.flushBare(out);
        return out;
      }
      if (this.inCall) {
        if (!this.closeCall(out, final)) return out;
        continue;
      }
      if (!this.started) {
        const decided = this.decideStart(final);
        if (decided === 'wait') return out;
        if (decided === 'bare') continue;
      }
      const open = this.buffer.indexOf(OPEN);
      if (open >= 0) {
        this.text(out, this.buffer.slice(0, open), !this.started);
        this.buffer = this.buffer.slice(open + OPEN.length);
        this.inCall = true;
        this.started = true;
        continue;
      }
      const keep = final ? 0 : partialSuffix(this.buffer, OPEN);
      const ready = this.buffer.slice(0, this.buffer.length - keep);
      // Leading whitespace waits: it may precede a call, which should not start a message.
      if (!final && !this.started && ready.trim() === '') return out;
      this.text(out, ready, false);
      this.buffer = this.buffer.slice(ready.length);
      return out;
    }
  }

  /** At the start of the reply: is it (still possibly) a bare JSON call? */
  private decideStart(final: boolean): 'wait' | 'bare' | 'text' {
    const head = this.buffer.trimStart();
    if (head === '') return final ? 'text' : 'wait';
    if (head.startsWith('{') || head.startsWith('[') || /^```(json)?\s*[[{]/i.test(head)) {
      this.bare = true;
      return 'bare';
    }
    if (!final && (/^```(json)?\s*$/i.test(head) || '```json'.startsWith(head))) return 'wait';
    return 'text';
  }

  /** Ends an open block when its close tag (or, at the end, the reply) arrived; false while it is still open. */
  private closeCall(out: ParsedPiece[], final: boolean): boolean {
    const close = this.buffer.indexOf(CLOSE);
    if (close < 0 && !final) return false;
    // A model that forgets the close tag still made its call.
    const body = close < 0 ? this.buffer : this.buffer.slice(0, close);
    this.buffer = close < 0 ? '' : this.buffer.slice(close + CLOSE.length);
    this.inCall = false;
    const calls = parseCalls(body, undefined);
    if (calls) for (const call of calls) out.push({ type: 'call', call });
    else this.text(out, OPEN + body + (close < 0 ? '' : CLOSE), false);
    return true;
  }

  private flushBare(out: ParsedPiece[]): void {
    const calls = parseCalls(this.buffer, this.offered);
    if (calls) for (const call of calls) out.push({ type: 'call', call });
    else this.text(out, this.buffer, false);
    this.buffer = '';
    this.bare = false;
    this.started = true;
  }

  /** Gives text out; whitespace before a first call is dropped rather than starting a message. */
  private text(out: ParsedPiece[], text: string, beforeFirstCall: boolean): void {
    if (text === '' || (beforeFirstCall && text.trim() === '')) return;
    if (text.trim() !== '') this.started = true;
    const last = out.at(-1);
    if (last?.type === 'text') last.text += text;
    else out.push({ type: 'text', text });
  }
}

/** The longest proper prefix of `tag` that `text` ends with (its length), so a tag split across deltas is held. */
function partialSuffix(text: string, tag: string): number {
  for (let k = Math.min(tag.length - 1, text.length); k > 0; k--) {
    if (text.endsWith(tag.slice(0, k))) return k;
  }
  return 0;
}

/**
 * The calls in a block or bare reply: `{"name", "arguments"}` (or `parameters`), or an array of them. With
 * `offered`, every name must be one of them (a bare JSON answer is otherwise just an answer).
 */
export function parseCalls(raw: string, offered: ReadonlySet<string> | undefined): ParsedCall[] | undefined {
  const text = raw.trim().replace(/^```(?:json)?\s*/i, '').replace(/\s*```$/, '');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const items = Array.isArray(value) ? value : [value];
  const calls: ParsedCall[] = [];
  for (const item of items) {
    const call = toCall(item);
    if (!call || (offered && !offered.has(call.name))) return undefined;
    calls.push(call);
  }
  return calls.length > 0 ? calls : undefined;
}

function toCall(item: unknown): ParsedCall | undefined {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return undefined;
  const { name, arguments: args, parameters } = item as { name?: unknown; arguments?: unknown; parameters?: unknown };
  if (typeof name !== 'string' || name === '') return undefined;
  const given = args ?? parameters ?? {};
  if (typeof given === 'string') return { name, arguments: given };
  if (typeof given !== 'object' || given === null) return undefined;
  return { name, arguments: JSON.stringify(given) };
}
