import type { MessageTouches } from '../tools/builtin-tool.js';
import { NO_TOUCHES } from './run-messages.js';

/** One part of a `thread.message.delta`'s content, as the hosted API streamed it. */
export type ContentDelta = { index: number } & Record<string, unknown>;

/**
 * Turns the model's text, as it streams, into the content deltas of its assistant message so that the message
 * the client accumulates equals the one stored at the end: the tools' parts (chart images) first, at the
 * indexes they keep, then the text at the index after them. Text that may still be the start of an annotated
 * span (a citation marker, a `sandbox:` link) is held back until it is decided, and each annotation is sent
 * with the delta that completes its text, numbered by its place among the text's annotations.
 */
export class MessageDeltas {
  private text = '';
  private sent = 0;
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
    this.text += delta;
    if (!this.annotating) {
      this.sent = this.text.length;
      return delta ? this.textDelta(delta, []) : undefined;
    }
    return this.release(this.touches.openFrom(this.text));
  }

  /** The text sent so far: what a message cut short (failed, cancelled) keeps. */
  sentText(): string {
    return this.text.slice(0, this.sent);
  }

  /** The model's text ended: whatever was held back. */
  end(): ContentDelta | undefined {
    return this.annotating ? this.release(this.text.length) : undefined;
  }

  private release(upTo: number): ContentDelta | undefined {
    if (upTo <= this.sent) return undefined;
    const value = this.text.slice(this.sent, upTo);
    // Prefix-stable (see MessageTouches): the annotations found so far are the final ones, in the final order.
    const found = this.touches.annotate(this.text.slice(0, upTo));
    const fresh = found.slice(this.annotationsSent).map((a, i) => ({ index: this.annotationsSent + i, ...a }));
    this.annotationsSent = found.length;
    this.sent = upTo;
    return this.textDelta(value, fresh);
  }

  private textDelta(value: string, annotations: object[]): ContentDelta {
    return { index: this.textIndex, type: 'text', text: { value, annotations } };
  }
}
