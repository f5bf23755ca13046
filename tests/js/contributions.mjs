// For tests/test_overview.py: lenet/web/overview.js's contributions and path on one input, as JSON on stdout.
// `node tests/js/contributions.mjs DIR`, DIR holding manifest.json, weights.bin, input.bin (float32, normalised)
// and units.json ([{block, index}]: a block's name and a flat index into its output).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadModel, forward } from "../../lenet/web/forward.js";
import { networkBlocks, contributions, strongestPath, unitAt } from "../../lenet/web/overview.js";

const dir = process.argv[2];
const read = (name) => {
  const b = readFileSync(join(dir, name));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};
const model = loadModel(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")), read("weights.bin"));
const out = forward(model, new Float32Array(read("input.bin")));
const blocks = networkBlocks(model);
const names = blocks.map((b) => b.name);
const outputs = blocks.map((b) => out.blocks[b.name].data);
const units = JSON.parse(readFileSync(join(dir, "units.json"), "utf8")).map(({ block, index }) => {
  const k = names.indexOf(block);
  const list = contributions(blocks[k], k > 0 ? outputs[k - 1] : model.input, unitAt(blocks[k].shape, index));
  return { block, index, contributions: list.map((c) => [c.index, c.value]) };
});
const { path, region } = strongestPath(blocks, outputs, model.input, blocks.length - 1, out.digit);
console.log(JSON.stringify({ digit: out.digit, units, path: path.map((p) => [p.block, p.index]), region }));
