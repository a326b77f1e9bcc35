// WGSL sources are imported as strings: Vite handles `?raw`, and bin/wgsl-loader.mjs does the same in Node.
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}
