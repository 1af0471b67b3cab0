// Dot products of int8 codes, 16 dimensions per instruction: a tiny WebAssembly module using 128-bit SIMD (on by
// default since Node 16), written out here byte by byte so it needs no toolchain or package. Plain JavaScript
// multiplies one int8 at a time: scanning 300,000 codes of 384 dimensions takes it ~300 ms, this ~15 ms.
//
// The module imports its memory and exports one function:
//   scan(codes, rows, width, query, out): for each of `rows` codes of `width` bytes (a multiple of 16) from
//   address `codes`, out[row] (i32, from address `out`) = sum of code[i] * query[i]. Codes must lie in -127..127
//   so that two products fit an i16 lane before they are widened.

const SIMD = 0xfd;
const op = {
  block: 0x02, loop: 0x03, end: 0x0b, brIf: 0x0d, get: 0x20, set: 0x21, tee: 0x22,
  i32Store: 0x36, i32Const: 0x41, i32Eqz: 0x45, i32LtU: 0x49, i32Add: 0x6a, i32Sub: 0x6b, void: 0x40,
};
const simd = {
  load: [SIMD, 0x00, 4, 0], // v128.load align=16 offset=0
  zero: [SIMD, 0x0c, ...new Array<number>(16).fill(0)], // v128.const 0
  mulLow: [SIMD, 0x9c, 0x01], // i16x8.extmul_low_i8x16_s
  mulHigh: [SIMD, 0x9d, 0x01], // i16x8.extmul_high_i8x16_s
  addI16: [SIMD, 0x8e, 0x01], // i16x8.add
  widen: [SIMD, 0x7e], // i32x4.extadd_pairwise_i16x8_s
  addI32: [SIMD, 0xae, 0x01], // i32x4.add
  lane: (i: number) => [SIMD, 0x1b, i], // i32x4.extract_lane
};

// Parameters, then locals: codes, rows, width, query, out | end, q (i32) | acc, d, qv (v128).
const [CODES, ROWS, WIDTH, QUERY, OUT, END, Q, ACC, D, QV] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

const body = [
  2, 2, 0x7f, 3, 0x7b, // locals: 2 x i32, 3 x v128
  op.block, op.void,
  op.get, ROWS, op.i32Eqz, op.brIf, 0,
  op.loop, op.void, // each row
  ...simd.zero, op.set, ACC,
  op.get, CODES, op.get, WIDTH, op.i32Add, op.set, END,
  op.get, QUERY, op.set, Q,
  op.loop, op.void, // each 16 bytes
  op.get, CODES, ...simd.load, op.set, D,
  op.get, Q, ...simd.load, op.set, QV,
  op.get, ACC,
  op.get, D, op.get, QV, ...simd.mulLow,
  op.get, D, op.get, QV, ...simd.mulHigh,
  ...simd.addI16, ...simd.widen, ...simd.addI32, op.set, ACC,
  op.get, CODES, op.i32Const, 16, op.i32Add, op.set, CODES,
  op.get, Q, op.i32Const, 16, op.i32Add, op.set, Q,
  op.get, CODES, op.get, END, op.i32LtU, op.brIf, 0,
  op.end,
  op.get, OUT,
  op.get, ACC, ...simd.lane(0), op.get, ACC, ...simd.lane(1), op.i32Add,
  op.get, ACC, ...simd.lane(2), op.i32Add, op.get, ACC, ...simd.lane(3), op.i32Add,
  op.i32Store, 2, 0,
  op.get, OUT, op.i32Const, 4, op.i32Add, op.set, OUT,
  op.get, ROWS, op.i32Const, 1, op.i32Sub, op.tee, ROWS, op.brIf, 0,
  op.end,
  op.end,
  op.end, // function
];

/** Unsigned LEB128, as every size and index in a module is written. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const name = (s: string) => [...leb(s.length), ...Buffer.from(s)];
const section = (id: number, content: number[]) => [id, ...leb(content.length), ...content];

const MODULE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [1, 0x60, 5, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0]), // type: (i32 x 5) -> ()
  ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 1]), // import memory, at least 1 page
  ...section(3, [1, 0]), // one function of type 0
  ...section(7, [1, ...name('scan'), 0x00, 0]), // export it as "scan"
  ...section(10, [1, ...leb(body.length), ...body]),
]);

/** A WebAssembly memory: Node's typings for version 20 do not declare the WebAssembly global. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** scan(codes, rows, width, query, out), addresses and sizes in bytes (see the top of this file). */
export type Int8Scan = (codes: number, rows: number, width: number, query: number, out: number) => void;

interface Wasm {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: { scan: Int8Scan } };
}

const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;
let compiled: object | undefined;

/** A memory of `pages` 64 KiB pages, and the scan function working in it. */
export function int8Memory(pages: number): { memory: WasmMemory; scan: Int8Scan } {
  const memory = new wasm.Memory({ initial: pages });
  compiled ??= new wasm.Module(MODULE);
  return { memory, scan: new wasm.Instance(compiled, { env: { memory } }).exports.scan };
}

/** Bytes of one code of `dims` dimensions: whole 16-byte lanes, zero-padded. */
export const int8Width = (dims: number) => Math.ceil(dims / 16) * 16;

/**
 * Writes the int8 code of `v` into `target` (its first v.length bytes; the padding must already be zero) and
 * returns the scale that turns code dot products back into the vector's: 1 / (127 / max |v[i]|).
 */
export function encodeInt8(v: Float32Array, target: Int8Array): number {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]!));
  if (max === 0) return 0;
  const scale = 127 / max;
  for (let i = 0; i < v.length; i++) target[i] = Math.round(v[i]! * scale);
  return 1 / scale;
}
