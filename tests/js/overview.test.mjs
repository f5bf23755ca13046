// lenet/web/overview.js's maths on small cases worked out by hand, and its invariants on every layer kind:
// a unit's contributions add up (with the bias) to its value before the activation, as forward.js computes it.
// tests/test_overview.py compares the same contributions with PyTorch's activation x weight.
// Alone: `node --test tests/js/overview.test.mjs`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadModel, forward } from "../../lenet/web/forward.js";
import {
  networkBlocks, contributions, strongest, strongestPath, inputWindow, layout, unitRect, hitTest, moveCursor,
  unitAt, flatIndex,
} from "../../lenet/web/overview.js";

const size = (shape) => shape.reduce((a, b) => a * b, 1);

// A model as lenet/webweights.py writes one: layers [{kind, block, in, out, ..., weight: [...], bias: [...]}].
export function makeModel(input, layers) {
  const floats = [];
  const entries = layers.map(({ weight, bias, mean, var: v, ...spec }) => {
    const entry = { ...spec };
    for (const [role, values, shape] of [["weight", weight, spec.wshape], ["bias", bias], ["mean", mean], ["var", v]]) {
      if (!values) continue;
      entry[role] = { offset: floats.length * 4, shape: shape ?? [values.length] };
      floats.push(...values);
    }
    delete entry.wshape;
    return entry;
  });
  const blob = new Float32Array(floats).buffer;
  const manifest = {
    format: "lenet-explorer-web/1", dtype: "float32", bytes: blob.byteLength, input, layers: entries,
    blocks: [...new Set(entries.map((e) => e.block))], normalise: { mean: 0, std: 1 },
  };
  return loadModel(manifest, blob);
}

const seq = (n, f) => Array.from({ length: n }, (_, i) => f(i));
const rand = (seed) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;

test("an fc unit's contributions are activation x weight, the zeros left out, strongest first", () => {
  const model = makeModel([4], [
    { kind: "fc", block: "output", in: [4], out: [2], weight: [0.5, -1, 3, 2, 1, 1, 1, 1], wshape: [2, 4], bias: [0.25, 0] },
  ]);
  const [block] = networkBlocks(model);
  const got = contributions(block, Float64Array.from([1, 2, 0, -1]), { channel: 0 });
  assert.deepEqual(got, [{ index: 0, value: 0.5 }, { index: 1, value: -2 }, { index: 3, value: -2 }]);
  assert.deepEqual(strongest(got, 2), [{ index: 1, value: -2 }, { index: 3, value: -2 }]);
});

test("a conv with stride, padding and dilation: the taps it reads, padding adding nothing", () => {
  // 1 x 4 x 4 input 0..15, one 2 x 2 kernel [[1, 2], [3, 4]], stride 2, padding 1, dilation 2: out 1 x 2 x 2.
  const model = makeModel([1, 4, 4], [
    { kind: "conv", block: "conv1", in: [1, 4, 4], out: [1, 2, 2], kernel: [2, 2], stride: [2, 2], padding: [1, 1, 1, 1], dilation: [2, 2], weight: [1, 2, 3, 4], wshape: [1, 1, 2, 2], bias: [10] },
  ]);
  const [block] = networkBlocks(model);
  const x = Float64Array.from(seq(16, (i) => i));
  // unit (0, 1, 1): rows 2*1-1 + {0, 2} = {1, 3}, columns {1, 3}: x[5], x[7], x[13], x[15] times 1, 2, 3, 4
  assert.deepEqual(contributions(block, x, { channel: 0, row: 1, col: 1 }), [
    { index: 5, value: 5 }, { index: 7, value: 14 }, { index: 13, value: 39 }, { index: 15, value: 60 },
  ]);
  // unit (0, 0, 0): rows {-1, 1}, columns {-1, 1}: only (1, 1) is inside, times the kernel's last tap
  assert.deepEqual(contributions(block, x, { channel: 0, row: 0, col: 0 }), [{ index: 5, value: 20 }]);
  assert.deepEqual(inputWindow(block, { channel: 0, row: 0, col: 0 }), [0, 0, 1, 1]); // clipped at the edge
  const out = forward(model, x);
  assert.equal(out.blocks.conv1.data[3], 10 + 5 + 14 + 39 + 60);
});

test("pooling: max is the window's largest alone, average each value's share", () => {
  const shapes = { in: [1, 2, 2], out: [1, 1, 1], kernel: [2, 2], stride: [2, 2] };
  const x = Float64Array.from([1, 4, -2, 3]);
  const [max] = networkBlocks(makeModel([1, 2, 2], [{ kind: "maxpool", block: "pool1", ...shapes }]));
  assert.deepEqual(contributions(max, x, { channel: 0, row: 0, col: 0 }), [{ index: 1, value: 4 }]);
  const [avg] = networkBlocks(makeModel([1, 2, 2], [{ kind: "avgpool", block: "pool1", ...shapes }]));
  assert.deepEqual(contributions(avg, x, { channel: 0, row: 0, col: 0 }).map((c) => c.value), [0.25, 1, -0.5, 0.75]);
});

test("batch norm before the activation scales the contributions; after it, it does not", () => {
  const fc = { kind: "fc", in: [2], out: [1], weight: [1, 1], wshape: [1, 2], bias: [0] };
  const bn = { kind: "bn", in: [1], out: [1], eps: 0, weight: [2], bias: [0], mean: [0], var: [1] };
  const x = Float64Array.from([1, 3]);
  const [before] = networkBlocks(makeModel([2], [{ ...fc, block: "output" }, { ...bn, block: "output" }]));
  assert.deepEqual(contributions(before, x, { channel: 0 }).map((c) => c.value), [2, 6]);
  const relu = { kind: "relu", in: [1], out: [1] };
  const [after] = networkBlocks(makeModel([2], [{ ...fc, block: "output" }, { ...relu, block: "output" }, { ...bn, block: "output" }]));
  assert.deepEqual(contributions(after, x, { channel: 0 }).map((c) => c.value), [1, 3]);
});

test("every unit of every block: contributions + bias = the value before the activation (random network)", () => {
  const r = rand(28);
  const w = (n) => seq(n, r);
  // conv (stride, padding, dilation) + bn, max pooling, conv + relu, avg pooling, fc (from a map), fc
  const layers = [
    { kind: "conv", block: "conv1", in: [1, 9, 9], out: [3, 5, 5], kernel: [3, 3], stride: [2, 2], padding: [2, 2, 2, 2], dilation: [2, 2], weight: w(27), wshape: [3, 1, 3, 3], bias: w(3) },
    { kind: "bn", block: "conv1", in: [3, 5, 5], out: [3, 5, 5], eps: 1e-5, weight: w(3), bias: w(3), mean: w(3), var: seq(3, () => 0.5) },
    { kind: "maxpool", block: "pool1", in: [3, 5, 5], out: [3, 4, 4], kernel: [2, 2], stride: [1, 1] },
    { kind: "conv", block: "conv2", in: [3, 4, 4], out: [2, 3, 3], kernel: [2, 2], stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], weight: w(24), wshape: [2, 3, 2, 2], bias: w(2) },
    { kind: "avgpool", block: "pool2", in: [2, 3, 3], out: [2, 2, 2], kernel: [2, 2], stride: [1, 1] },
    { kind: "fc", block: "fc1", in: [8], out: [5], weight: w(40), wshape: [5, 8], bias: w(5) },
    { kind: "fc", block: "output", in: [5], out: [3], weight: w(15), wshape: [3, 5], bias: w(3) },
  ];
  const model = makeModel([1, 9, 9], layers);
  const blocks = networkBlocks(model);
  assert.deepEqual(blocks.map((b) => b.name), ["conv1", "pool1", "conv2", "pool2", "fc1", "output"]);
  const out = forward(model, Float64Array.from(w(81)));
  const outputs = blocks.map((b) => Float64Array.from(out.blocks[b.name].data)); // copies: no activation here
  const inputs = [model.input, ...outputs.slice(0, -1)];
  const bn = model.layers[1];
  blocks.forEach((block, k) => {
    for (let i = 0; i < size(block.shape); i++) {
      const unit = unitAt(block.shape, i);
      const sum = contributions(block, inputs[k], unit).reduce((s, c) => s + c.value, 0);
      const head = block.head;
      const bias = !head.bias ? 0 : k === 0 ? head.bias[unit.channel] * bn.scale[unit.channel] + bn.shift[unit.channel] : head.bias[unit.channel];
      const extra = k === 0 && !head.bias ? bn.shift[unit.channel] : 0;
      assert.ok(Math.abs(sum + bias + extra - outputs[k][i]) < 1e-9, `${block.name} unit ${i}: ${sum + bias} vs ${outputs[k][i]}`);
    }
  });
});

test("the path follows the strongest positive contribution back to an input pixel, or stops", () => {
  // input 3 -> fc1 (2) -> output (2); the winning output's strongest positive input is fc1[1], whose is input[2]
  const model = makeModel([3], [
    { kind: "fc", block: "fc1", in: [3], out: [2], weight: [1, 0, 0, 0, -1, 2], wshape: [2, 3], bias: [0, 0] },
    { kind: "fc", block: "output", in: [2], out: [2], weight: [1, 3, -1, -1], wshape: [2, 2], bias: [0, 0] },
  ]);
  const blocks = networkBlocks(model);
  const out = forward(model, Float64Array.from([1, 1, 1]));
  assert.equal(out.digit, 0); // output = [1*1 + 1*3, -1 - 1] = [4, -2]
  const outputs = blocks.map((b) => out.blocks[b.name].data);
  const { path, region } = strongestPath(blocks, outputs, model.input, 1, 0);
  assert.deepEqual(path, [{ block: 1, index: 0 }, { block: 0, index: 1 }, { block: -1, index: 2 }]);
  assert.equal(region, null); // an fc reads the whole input: no window
  // output 1 has no positive contribution (-1 and -1): the path is the unit alone
  assert.deepEqual(strongestPath(blocks, outputs, model.input, 1, 1).path, [{ block: 1, index: 1 }]);
});

test("the layout: every unit is hit at its centre, columns never overlap, a narrow width wraps", () => {
  const columns = [
    { name: "input", shape: [1, 28, 28] }, { name: "C1", shape: [6, 28, 28] }, { name: "S2", shape: [6, 14, 14] },
    { name: "C3", shape: [16, 10, 10] }, { name: "S4", shape: [16, 5, 5] }, { name: "C5", shape: [120, 1, 1] },
    { name: "F6", shape: [84] }, { name: "output", shape: [10] },
  ];
  for (const width of [Infinity, 300]) {
    const lay = layout(columns, width);
    assert.ok(width === Infinity || lay.width <= width, `${lay.width} px in ${width}`);
    lay.columns.forEach((c, k) => {
      for (let i = 0; i < size(c.shape); i++) {
        const [x, y, s] = unitRect(lay, k, i);
        assert.ok(x >= 0 && y >= 0 && x + s <= lay.width && y + s <= lay.height);
        assert.deepEqual(hitTest(lay, x + s / 2, y + s / 2), { column: k, index: i });
      }
      for (const d of lay.columns.slice(k + 1)) {
        const apart = d.x >= c.x + c.w || d.y >= c.y + c.h || c.x >= d.x + d.w || c.y >= d.y + d.h;
        assert.ok(apart, `${c.name} and ${d.name} overlap`);
      }
    });
    if (width === 300) assert.ok(new Set(lay.columns.map((c) => c.y)).size > 1, "a narrow picture wraps");
  }
  assert.equal(hitTest(layout(columns), -5, 3), null);
});

test("the keyboard: arrows move between blocks and maps, Shift inside a map, never out of the picture", () => {
  const lay = layout([{ name: "input", shape: [1, 4, 4] }, { name: "conv1", shape: [2, 4, 4] }, { name: "output", shape: [3] }]);
  let cur = { column: 1, index: 0 };
  assert.deepEqual(moveCursor(lay, cur, "ArrowLeft"), cur); // the input is not a unit to trace
  cur = moveCursor(lay, cur, "ArrowDown"); // the next map, same place
  assert.deepEqual(unitAt([2, 4, 4], cur.index), { channel: 1, row: 0, col: 0 });
  cur = moveCursor(lay, cur, "ArrowRight", true); // inside the map
  cur = moveCursor(lay, cur, "ArrowDown", true);
  assert.deepEqual(unitAt([2, 4, 4], cur.index), { channel: 1, row: 1, col: 1 });
  cur = moveCursor(lay, cur, "ArrowRight"); // to the output, the channel in proportion: 2nd of 2 -> 3rd of 3
  assert.deepEqual(cur, { column: 2, index: 2 });
  assert.deepEqual(moveCursor(lay, cur, "ArrowUp"), { column: 2, index: 1 });
  for (let i = 0; i < 5; i++) cur = moveCursor(lay, cur, "ArrowDown");
  assert.deepEqual(cur, { column: 2, index: 2 });
  assert.deepEqual(moveCursor(lay, cur, "ArrowRight"), cur);
  assert.equal(flatIndex([2, 4, 4], { channel: 1, row: 1, col: 1 }), 21);
});
