// A small ONNX writer of wgcam's own: protobuf encoding of just the messages an inference graph needs
// (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto), and ResNet50 built from a
// torchvision state dict as Conv / BatchNormalization / Relu / MaxPool / Add / GlobalAveragePool / Flatten /
// Gemm nodes, every initializer named as torchvision names it. Browser-safe; used by the onnxruntime-web peer.
import { EXPANSION, FEATURES, NUM_CLASSES, STAGES, BN_EPS } from '../src/model/architecture.ts';

// ---- protobuf ---------------------------------------------------------------------------------------------

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** Append-only protobuf message writer. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  /** A non-negative integer up to 2^53 as a varint (int64 fields here are never negative). */
  private varint(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) throw new Error(`protobuf varint ${value} out of range`);
    const out: number[] = [];
    let v = value;
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
    this.push(Uint8Array.from(out));
  }

  private key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  int(field: number, value: number): this {
    this.key(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LEN);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, body: ProtoWriter): this {
    return this.bytes(field, body.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    this.chunks = [out];
    return out;
  }
}

// ---- ONNX messages ----------------------------------------------------------------------------------------

const ONNX_FLOAT = 1;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

export type AttributeValue = number | number[] | { float: number };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  data: Float32Array;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: Array<{ name: string; dims: number[] }>;
  outputs: Array<{ name: string; dims: number[] }>;
}

function attribute(name: string, value: AttributeValue): ProtoWriter {
  const a = new ProtoWriter().string(1, name);
  if (Array.isArray(value)) {
    for (const v of value) a.int(8, v);
    a.int(20, ATTR_INTS);
  } else if (typeof value === 'number') {
    a.int(3, value).int(20, ATTR_INT);
  } else {
    a.float(2, value.float).int(20, ATTR_FLOAT);
  }
  return a;
}

function valueInfo(name: string, dims: number[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) shape.message(1, new ProtoWriter().int(1, d));
  const tensorType = new ProtoWriter().int(1, ONNX_FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

function tensor(t: OnnxInitializer): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, ONNX_FLOAT).string(8, t.name);
  // raw_data is little-endian; every platform wgcam runs on is.
  return w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

/** Serialise a graph as an ONNX ModelProto (IR version 8, default-domain opset 17). */
export function encodeModel(graph: OnnxGraph, opset = 17): Uint8Array {
  const g = new ProtoWriter();
  graph.nodes.forEach((n, i) => {
    const node = new ProtoWriter();
    for (const x of n.inputs) node.string(1, x);
    for (const y of n.outputs) node.string(2, y);
    node.string(3, n.name ?? `${n.op}_${i}`).string(4, n.op);
    for (const [k, v] of Object.entries(n.attributes ?? {})) node.message(5, attribute(k, v));
    g.message(1, node);
  });
  g.string(2, graph.name);
  for (const t of graph.initializers) g.message(5, tensor(t));
  for (const i of graph.inputs) g.message(11, valueInfo(i.name, i.dims));
  for (const o of graph.outputs) g.message(12, valueInfo(o.name, o.dims));
  return new ProtoWriter()
    .int(1, 8)
    .string(2, 'wgcam bench')
    .string(3, '1')
    .message(7, g)
    .message(8, new ProtoWriter().string(1, '').int(2, opset))
    .finish();
}

// ---- ResNet50 ---------------------------------------------------------------------------------------------

/**
 * torchvision's ResNet50 as an ONNX graph: input `input` [N, 3, H, W], output `logits` [N, 1000]. Batchnorms are
 * BatchNormalization nodes with the running statistics (eval mode); the runtime may fuse them as it likes.
 */
export function resnet50Graph(weights: ReadonlyMap<string, Float32Array>, batch: number, height: number, width: number): OnnxGraph {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxInitializer[] = [];
  const used = new Set<string>();
  const init = (name: string, dims: number[]): string => {
    if (used.has(name)) return name;
    const data = weights.get(name);
    if (!data) throw new Error(`ONNX export: the weights lack ${name}`);
    const n = dims.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new Error(`ONNX export: ${name} has ${data.length} values, expected [${dims.join(',')}]`);
    initializers.push({ name, dims, data });
    used.add(name);
    return name;
  };
  const conv = (x: string, name: string, inC: number, outC: number, k: number, stride: number, pad: number): string => {
    const y = `${name}.out`;
    nodes.push({
      op: 'Conv',
      name,
      inputs: [x, init(`${name}.weight`, [outC, inC, k, k])],
      outputs: [y],
      attributes: { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], dilations: [1, 1], group: 1 },
    });
    return y;
  };
  const bn = (x: string, name: string, c: number): string => {
    const y = `${name}.out`;
    nodes.push({
      op: 'BatchNormalization',
      name,
      inputs: [x, init(`${name}.weight`, [c]), init(`${name}.bias`, [c]), init(`${name}.running_mean`, [c]), init(`${name}.running_var`, [c])],
      outputs: [y],
      attributes: { epsilon: { float: BN_EPS } },
    });
    return y;
  };
  const relu = (x: string, name: string): string => {
    nodes.push({ op: 'Relu', name, inputs: [x], outputs: [`${name}.out`] });
    return `${name}.out`;
  };

  let x = relu(bn(conv('input', 'conv1', 3, 64, 7, 2, 3), 'bn1', 64), 'relu');
  nodes.push({ op: 'MaxPool', name: 'maxpool', inputs: [x], outputs: ['maxpool.out'], attributes: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } });
  x = 'maxpool.out';
  let inC = 64;
  for (const stage of STAGES) {
    for (let i = 0; i < stage.blocks; i++) {
      const p = `${stage.name}.${i}`;
      const w = stage.width;
      const stride = i === 0 ? stage.stride : 1;
      let y = relu(bn(conv(x, `${p}.conv1`, inC, w, 1, 1, 0), `${p}.bn1`, w), `${p}.relu1`);
      y = relu(bn(conv(y, `${p}.conv2`, w, w, 3, stride, 1), `${p}.bn2`, w), `${p}.relu2`);
      y = bn(conv(y, `${p}.conv3`, w, w * EXPANSION, 1, 1, 0), `${p}.bn3`, w * EXPANSION);
      const identity = i === 0 ? bn(conv(x, `${p}.downsample.0`, inC, w * EXPANSION, 1, stride, 0), `${p}.downsample.1`, w * EXPANSION) : x;
      nodes.push({ op: 'Add', name: `${p}.add`, inputs: [y, identity], outputs: [`${p}.add.out`] });
      x = relu(`${p}.add.out`, `${p}.relu`);
      inC = w * EXPANSION;
    }
  }
  nodes.push({ op: 'GlobalAveragePool', name: 'avgpool', inputs: [x], outputs: ['avgpool.out'] });
  nodes.push({ op: 'Flatten', name: 'flatten', inputs: ['avgpool.out'], outputs: ['flatten.out'], attributes: { axis: 1 } });
  nodes.push({
    op: 'Gemm',
    name: 'fc',
    inputs: ['flatten.out', init('fc.weight', [NUM_CLASSES, FEATURES]), init('fc.bias', [NUM_CLASSES])],
    outputs: ['logits'],
    attributes: { transB: 1 },
  });
  return {
    name: 'resnet50',
    nodes,
    initializers,
    inputs: [{ name: 'input', dims: [batch, 3, height, width] }],
    outputs: [{ name: 'logits', dims: [batch, NUM_CLASSES] }],
  };
}

export function resnet50Onnx(weights: ReadonlyMap<string, Float32Array>, batch: number, height: number, width: number): Uint8Array {
  return encodeModel(resnet50Graph(weights, batch, height, width));
}
