import { ID_PREFIX, newId } from '../../domain/ids.js';
import type { FunctionCallItem, ItemStatus, MessageItem, OutputAnnotation, OutputTextPart, ResponseItem } from '../../domain/responses.js';
import type { TextAnnotator } from './container-links.js';

/** One streamed event of a response, without its sequence number (the stream numbers them). */
export type ResponseEventBody = { type: string } & Record<string, unknown>;

type Emit = (event: ResponseEventBody) => void;

/** An output item being written, and the deltas it got while another item was on the wire. */
interface Slot {
  item: MessageItem | FunctionCallItem;
  live: boolean;
  /** Text deltas (strings) and annotations, in the order they came. */
  pending: Array<string | OutputAnnotation>;
}

function textPart(item: MessageItem): OutputTextPart {
  return item.content[0] as OutputTextPart;
}

/**
 * Turns a model's text and tool call deltas into output items and the events the hosted API streams for them.
 * One item is on the wire at a time, as the hosted API writes them: the first item streams live; items that
 * start while it is open (parallel tool calls, interleaved or not) keep their deltas until it closes at the
 * end of the turn, then stream in output order. Every item is added, streamed and done before the next.
 * `base` is the output index of its first item (earlier turns of the response wrote the ones before);
 * `citations`, after built-in calls, turns citation markers and file links in the text into annotations.
 */
export class OutputBuilder {
  private readonly slots: Slot[] = [];
  private message: Slot | undefined;
  private readonly calls = new Map<number, Slot>();
  private readonly annotationsSent = new Map<Slot, number>();

  constructor(
    private readonly emit: Emit,
    private readonly base = 0,
    private readonly citations?: TextAnnotator,
  ) {}

  text(delta: string): void {
    if (!this.citations) return this.addText(delta, []);
    const { text, annotations } = this.citations.push(delta);
    if (text || annotations.length > 0) this.addText(text, annotations);
  }

  private addText(delta: string, annotations: OutputAnnotation[]): void {
    if (!this.message) {
      const item: MessageItem = { id: newId(ID_PREFIX.message), type: 'message', status: 'in_progress', content: [], role: 'assistant' };
      this.message = this.open(item);
    }
    const slot = this.message;
    const item = slot.item as MessageItem;
    if (item.content.length === 0) item.content.push({ type: 'output_text', annotations: [], logprobs: [], text: '' });
    const part = textPart(item);
    part.text += delta;
    part.annotations.push(...annotations);
    if (!slot.live) slot.pending.push(delta, ...annotations);
    else {
      if (delta) this.emitTextDelta(slot, delta);
      for (const annotation of annotations) this.emitAnnotation(slot, annotation);
    }
  }

  toolCall(index: number, delta: string, id?: string, name?: string): void {
    let slot = this.calls.get(index);
    if (!slot) {
      const item: FunctionCallItem = { id: newId(ID_PREFIX.functionCall), type: 'function_call', status: 'in_progress', arguments: '', call_id: id || newId(ID_PREFIX.call), name: name ?? '' };
      slot = this.open(item);
      this.calls.set(index, slot);
    }
    const item = slot.item as FunctionCallItem;
    item.arguments += delta;
    if (!delta) return;
    if (slot.live) this.emit({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index: this.index(slot), delta });
    else slot.pending.push(delta);
  }

  /** Closes every item with `status` and returns the output; the events of items not yet on the wire go out now. */
  finish(status: ItemStatus): ResponseItem[] {
    const rest = this.citations?.flush();
    if (rest && (rest.text || rest.annotations.length > 0)) this.addText(rest.text, rest.annotations);
    this.slots.forEach((slot, index) => {
      if (!slot.live) this.goLive(slot, this.base + index);
      this.close(slot, this.base + index, status);
    });
    return this.items();
  }

  /** The output so far (items still being written included). */
  items(): ResponseItem[] {
    return this.slots.map((slot) => slot.item);
  }

  private open(item: MessageItem | FunctionCallItem): Slot {
    const slot: Slot = { item, live: false, pending: [] };
    this.slots.push(slot);
    if (this.slots.length === 1) this.goLive(slot, this.base);
    return slot;
  }

  private goLive(slot: Slot, index: number): void {
    slot.live = true;
    const item = slot.item;
    if (item.type === 'function_call') {
      this.emit({ type: 'response.output_item.added', output_index: index, item: { ...item, arguments: '' } });
      for (const delta of slot.pending) this.emit({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index: index, delta: delta as string });
    } else {
      this.emit({ type: 'response.output_item.added', output_index: index, item: { ...item, content: [] } });
      this.emit({ type: 'response.content_part.added', item_id: item.id, output_index: index, content_index: 0, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } });
      for (const next of slot.pending) {
        if (typeof next !== 'string') this.emitAnnotation(slot, next);
        else if (next) this.emitTextDelta(slot, next);
      }
    }
    slot.pending = [];
  }

  private index(slot: Slot): number {
    return this.base + this.slots.indexOf(slot);
  }

  private emitTextDelta(slot: Slot, delta: string): void {
    this.emit({ type: 'response.output_text.delta', item_id: slot.item.id, output_index: this.index(slot), content_index: 0, delta, logprobs: [] });
  }

  private emitAnnotation(slot: Slot, annotation: OutputAnnotation): void {
    // Its place among the part's annotations: they are sent in order, pending ones included.
    const index = this.annotationsSent.get(slot) ?? 0;
    this.annotationsSent.set(slot, index + 1);
    this.emit({ type: 'response.output_text.annotation.added', item_id: slot.item.id, output_index: this.index(slot), content_index: 0, annotation_index: index, annotation });
  }

  private close(slot: Slot, index: number, status: ItemStatus): void {
    const item = slot.item;
    item.status = status;
    if (item.type === 'function_call') {
      this.emit({ type: 'response.function_call_arguments.done', item_id: item.id, output_index: index, name: item.name, arguments: item.arguments });
    } else {
      const part = textPart(item);
      this.emit({ type: 'response.output_text.done', item_id: item.id, output_index: index, content_index: 0, text: part.text, logprobs: [] });
      this.emit({ type: 'response.content_part.done', item_id: item.id, output_index: index, content_index: 0, part });
    }
    this.emit({ type: 'response.output_item.done', output_index: index, item });
  }
}
