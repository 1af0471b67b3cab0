import type { ChunkVectorRow, ChunksRepo, StoreVersion, VersionedChunkFile } from '../store/chunks-repo.js';
import type { Attributes } from './search-index.js';
import { encodeInt8, int8Memory, int8Width, type Int8Scan, type WasmMemory } from './int8-scan.js';

/** An indexed file as search sees it. */
export interface SnapshotFile {
  fileId: string;
  filename: string;
  attributes: Attributes;
}

/**
 * One vector store's files and embeddings held in memory: rows of a matrix of unit vectors (so a dot product is
 * the cosine), each with its chunk's seq, file and index. Kept current by loading only rows newer than the
 * version it has, and rebuilt when something was removed.
 */
export class StoreSnapshot {
  readonly files: SnapshotFile[] = [];
  readonly fileIndex = new Map<string, number>();
  dims = 0;
  count = 0;
  data = new Float32Array(0);
  rowFile = new Int32Array(0);
  rowChunk = new Int32Array(0);
  rowSeq = new Float64Array(0);
  /**
   * Each row's int8 code (see int8-scan.ts), what large stores are scanned with first: `int8Width(dims)` bytes a
   * row from {@link CODES_AT} in `codes.memory` (made with the first vector), `scales[row]` turning a code's dot
   * product back into a cosine.
   */
  codes?: { memory: WasmMemory; scan: Int8Scan };
  scales = new Float32Array(0);
  readonly rowBySeq = new Map<number, number>();

  constructor(
    readonly vectorStoreId: string,
    public version: StoreVersion,
    /** The model whose vectors it holds; none when it holds files only (lexical search). */
    readonly embeddingModel?: string,
  ) {}

  /**
   * Bytes held, roughly, for the cache's memory bound: the matrix and its per-row arrays as allocated, the seq
   * lookup and the files (a file's name and attributes counted at a flat 200 bytes).
   */
  get bytes(): number {
    const arrays = this.data.byteLength + (this.codes?.memory.buffer.byteLength ?? 0) + this.scales.byteLength + this.rowFile.byteLength + this.rowChunk.byteLength + this.rowSeq.byteLength;
    return arrays + this.rowBySeq.size * BYTES_PER_MAP_ENTRY + this.files.length * BYTES_PER_FILE;
  }

  addFiles(rows: VersionedChunkFile[]): void {
    for (const r of rows) {
      const file = { fileId: r.fileId, filename: r.filename, attributes: r.attributes };
      const at = this.fileIndex.get(r.fileId);
      if (at === undefined) {
        this.fileIndex.set(r.fileId, this.files.length);
        this.files.push(file);
      } else {
        this.files[at] = file;
      }
    }
  }

  addVectors(rows: ChunkVectorRow[]): void {
    if (rows.length === 0) return;
    if (this.dims === 0) this.dims = rows[0]!.embedding.byteLength / 4;
    this.reserve(Math.max(this.count + rows.length, this.expected));
    for (const r of rows) {
      // A vector of another size comes from another embedding model; it cannot be compared with this store's.
      if (r.embedding.byteLength !== this.dims * 4) continue;
      const file = this.fileIndex.get(r.fileId);
      if (file === undefined) continue;
      const row = this.count++;
      const target = this.data.subarray(row * this.dims, (row + 1) * this.dims);
      // Copy the bytes first: a Buffer from the driver need not be 4-byte aligned for a Float32Array view.
      new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(r.embedding);
      normalize(target);
      this.rowFile[row] = file;
      this.rowChunk[row] = r.chunkIndex;
      this.rowSeq[row] = r.seq;
      this.rowBySeq.set(r.seq, row);
    }
    if (this.count > EXACT_ROWS) this.encode();
  }

  private expected = 0;

  /** Makes room for `rows` rows with the next vectors added (an upper bound: {@link trim} gives back the rest). */
  expect(rows: number): void {
    this.expected = rows;
  }

  /** Rows with an int8 code: all of them once the store is scanned by codes, none before. */
  get coded(): number {
    return this.codedRows;
  }

  private codedRows = 0;

  /** Gives the rows without one their int8 code, in a memory sized to the matrix' capacity. */
  private encode(): void {
    const width = int8Width(this.dims);
    const bytes = CODES_AT + (this.data.length / this.dims) * width;
    this.codes ??= int8Memory(Math.ceil(bytes / PAGE));
    const { memory } = this.codes;
    if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
    const codes = new Int8Array(memory.buffer, CODES_AT);
    for (let row = this.codedRows; row < this.count; row++) {
      this.scales[row] = encodeInt8(this.data.subarray(row * this.dims, (row + 1) * this.dims), codes.subarray(row * width, row * width + this.dims));
    }
    this.codedRows = this.count;
  }

  /** Lets go of the room reserved for more rows (once a store is loaded: it grows by half each time). */
  trim(): void {
    this.expected = 0;
    const capacity = this.data.length / Math.max(1, this.dims);
    if (capacity > this.count) this.resize(this.count);
  }

  /** The unit vector of a chunk, when it has one. */
  vectorOf(seq: number): Float32Array | undefined {
    const row = this.rowBySeq.get(seq);
    return row === undefined ? undefined : this.data.subarray(row * this.dims, (row + 1) * this.dims);
  }

  private reserve(rows: number): void {
    if (rows * this.dims <= this.data.length) return;
    this.resize(Math.max(rows, Math.ceil((this.data.length / Math.max(1, this.dims)) * 1.5), 64));
  }

  private resize(capacity: number): void {
    const grow = <T extends Float32Array | Int32Array | Float64Array>(old: T, make: (n: number) => T, width: number): T => {
      const next = make(capacity * width);
      next.set(old.subarray(0, this.count * width) as never);
      return next;
    };
    this.data = grow(this.data, (n) => new Float32Array(n), this.dims);
    this.rowFile = grow(this.rowFile, (n) => new Int32Array(n), 1);
    this.rowChunk = grow(this.rowChunk, (n) => new Int32Array(n), 1);
    this.rowSeq = grow(this.rowSeq, (n) => new Float64Array(n), 1);
    this.scales = grow(this.scales, (n) => new Float32Array(n), 1);
  }
}

/**
 * Stores up to this many vectors are compared exactly; larger ones get int8 codes to scan first (their memory
 * is reserved address space that grows in place, so only small stores never make one).
 */
export const EXACT_ROWS = 20_000;

// The layout of a snapshot's WebAssembly memory: a query's code at 0 (up to 8,192 dimensions), the scan's
// output (SCAN_BLOCK rows of i32) at SCAN_OUT_AT, the rows' codes from CODES_AT on.
const PAGE = 65_536;
export const SCAN_OUT_AT = 8192;
export const SCAN_BLOCK = 4096;
export const CODES_AT = PAGE;

/** Scales `v` to unit length in place (a zero vector stays zero). */
export function normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  if (sum > 0) {
    const inv = 1 / Math.sqrt(sum);
    for (let i = 0; i < v.length; i++) v[i]! *= inv;
  }
  return v;
}

// Store versions whose vectors are read in one query while a snapshot loads: a version is one file written (or
// re-embedded), so a window holds a few thousand chunks, a few MB, for files of usual length.
const VERSIONS_PER_LOAD = 2000;

// What a Map entry and an indexed file (its ids, name and a few attributes) cost on V8's heap, roughly.
const BYTES_PER_MAP_ENTRY = 40;
const BYTES_PER_FILE = 200;

/** Bounds of the snapshot cache; a store searched now always stays, even when it alone is over them. */
export interface SnapshotCacheLimits {
  /** Bytes held across stores (default 256 MB). */
  maxBytes?: number;
  /** Stores held (default 1,000). */
  maxStores?: number;
}

/**
 * Snapshots of the stores searched recently, bounded by the bytes they hold and their number: least recently
 * searched go first, so a process serving many large stores keeps the busy ones and reloads the others.
 */
export class SnapshotCache {
  private readonly snapshots = new Map<string, StoreSnapshot>();
  private readonly loading = new Map<string, Promise<StoreSnapshot>>();
  private readonly maxBytes: number;
  private readonly maxStores: number;

  constructor(
    private readonly chunks: ChunksRepo,
    limits: SnapshotCacheLimits = {},
  ) {
    this.maxBytes = limits.maxBytes ?? 256 * 1024 * 1024;
    this.maxStores = limits.maxStores ?? 1000;
  }

  /** Stores held and their bytes (for tests and the benchmark). */
  usage(): { stores: number; bytes: number } {
    let bytes = 0;
    for (const s of this.snapshots.values()) bytes += s.bytes;
    return { stores: this.snapshots.size, bytes };
  }

  /**
   * Current snapshots of those stores that have anything indexed, in the order asked, holding the vectors of
   * `embeddingModel` (none without one: vectors of different models never meet).
   */
  async get(project: string, vectorStoreIds: string[], embeddingModel?: string): Promise<StoreSnapshot[]> {
    const versions = await this.chunks.versions(project, vectorStoreIds);
    // A store with nothing indexed any more (deleted, expired) frees its copy at once.
    for (const id of vectorStoreIds) if (!versions.has(id)) this.snapshots.delete(snapshotKey(project, id, embeddingModel));
    const out = await Promise.all(
      vectorStoreIds.filter((id) => versions.has(id)).map((id) => this.current(project, id, versions.get(id)!, embeddingModel)),
    );
    this.evict(new Set(out));
    return out;
  }

  private current(project: string, id: string, version: StoreVersion, embeddingModel?: string): Promise<StoreSnapshot> {
    const key = snapshotKey(project, id, embeddingModel);
    const cached = this.snapshots.get(key);
    if (cached && cached.version.version >= version.version && cached.version.removals === version.removals) {
      this.snapshots.delete(key);
      this.snapshots.set(key, cached);
      return Promise.resolve(cached);
    }
    // One load per store at a time; a caller that needs a newer version than the load in flight checks again after.
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight.then(() => this.current(project, id, version, embeddingModel));
    const load = this.refresh(key, project, id, cached, version, embeddingModel).finally(() => this.loading.delete(key));
    this.loading.set(key, load);
    return load;
  }

  private async refresh(key: string, project: string, id: string, cached: StoreSnapshot | undefined, version: StoreVersion, embeddingModel?: string): Promise<StoreSnapshot> {
    // Anything removed since the cached copy means rows to drop: rebuild. Otherwise append what is newer.
    const base = cached && cached.version.removals === version.removals ? cached : new StoreSnapshot(id, { version: 0, removals: version.removals }, embeddingModel);
    const after = base.version.version;
    base.addFiles(await this.chunks.filesBetween(project, id, after, version.version));
    // Vectors come a window of versions at a time (files first: a chunk is added only when its file is known), so
    // loading a large store never holds all its rows as driver objects at once beside the matrix they fill.
    // Room for them is made at once: growing by half at a time would hold a few old copies of a large matrix.
    if (embeddingModel) base.expect(base.count + (await this.chunks.chunksBetween(project, id, after, version.version)));
    for (let from = after; embeddingModel && from < version.version; from += VERSIONS_PER_LOAD) {
      base.addVectors(await this.chunks.vectorsBetween(project, id, from, Math.min(version.version, from + VERSIONS_PER_LOAD), embeddingModel));
    }
    base.version = version;
    // A copy loaded whole gives back what its estimate over-reserved; one that grows keeps its room to grow.
    if (after === 0) base.trim();
    this.snapshots.delete(key);
    this.snapshots.set(key, base);
    return base;
  }

  /** Drops least recently used snapshots until the rest fit, never one of `inUse` (the search's own). */
  private evict(inUse: Set<StoreSnapshot>): void {
    let { bytes } = this.usage();
    for (const [key, s] of this.snapshots) {
      if (bytes <= this.maxBytes && this.snapshots.size <= this.maxStores) break;
      if (inUse.has(s)) continue;
      bytes -= s.bytes;
      this.snapshots.delete(key);
    }
  }
}

function snapshotKey(project: string, id: string, embeddingModel?: string): string {
  return `${project}\u0000${id}\u0000${embeddingModel ?? ''}`;
}
