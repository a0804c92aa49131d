// as-pect runs the unit tests of the pure modules (assembly/__tests__/*.spec.ts) in Node.
// Those modules never import the proxy-wasm host, so no host imports are provided here.
export default {
  entries: ["assembly/__tests__/**/*.spec.ts"],
  include: ["assembly/__tests__/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
