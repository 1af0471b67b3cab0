import type { Annotation } from '../../domain/types.js';
import { codePoints } from '../../lib/code-points.js';
import type { MessageTouches } from '../../tools/builtin-tool.js';
import { NO_TOUCHES } from './run-messages.js';

/** One part of a `thread.message.delta`'s content, as the hosted API streamed it. */
export type ContentDelta = { index: number } & Record<string, unknown>;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Turns the model's text, as it streams, into the content deltas of its assistant message so that the message
 * the client accumulates equals the one stored at the end: the tools' parts (chart images) first, at the
 * indexes they keep, then the text at the index after them. Text that may still be the start of an annotated
 * span (a citation marker, a `sandbox:` link) is held back until it is decided, and each annotation is sent
 * with the delta that completes its text, numbered by its place among the text's annotations. Only the text
 * not sent yet is looked at (see MessageTouches), so a long reply costs time in proportion to its length.
 */
export class MessageDeltas {
  private pending = '';
  private sent = '';
  private sentPoints = 0;
  private annotationsSent = 0;
  private readonly textIndex: number;
  /** Whether anything could be annotated: if not, text passes straight through. */
  private readonly annotating: boolean;

  constructor(private readonly touches: MessageTouches) {
    this.textIndex = touches.parts.length;
    this.annotating = touches !== NO_TOUCHES;
  }

  /** The parts the message opens with, one delta each. */
  parts(): ContentDelta[] {
    return this.touches.parts.map((part, index) => ({ index, ...part }));
  }

  /** The model wrote `delta`: the text delta to send now, if any. */
  push(delta: string): ContentDelta | undefined {
    if (!this.annotating) {
      this.sent += delta;
      return delta ? this.textDelta(delta, []) : undefined;
    }
    this.pending += delta;
    const upTo = this.touches.openFrom(this.pending);
    // Never between the halves of a surrogate pair: indexes count code points.
    return this.release(isHighSurrogate(this.pending.charCodeAt(upTo - 1)) ? upTo - 1 : upTo);
  }

  /** The model's text ended: whatever was held back. */
  end(): ContentDelta | undefined {
    return this.release(this.pending.length);
  }

  /** The text sent so far: what a message cut short (failed, cancelled) keeps. */
  sentText(): string {
    return this.sent;
  }

  private release(upTo: number): ContentDelta | undefined {
    if (upTo <= 0) return undefined;
    const value = this.pending.slice(0, upTo);
    this.pending = this.pending.slice(upTo);
    const shift = this.sentPoints;
    const annotations = this.touches.annotate(value).map((a, i) => ({ index: this.annotationsSent + i, ...a, start_index: a.start_index + shift, end_index: a.end_index + shift }));
    this.annotationsSent += annotations.length;
    this.sentPoints += codePoints(value);
    this.sent += value;
    return this.textDelta(value, annotations);
  }

  private textDelta(value: string, annotations: Array<Annotation & { index: number }>): ContentDelta {
    return { index: this.textIndex, type: 'text', text: { value, annotations } };
  }
}
