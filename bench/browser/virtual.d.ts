// The bench page's build-time switch (bench/browser/vite.config.ts): the peers, or null without --peers.
declare module 'virtual:bench-peers' {
  export const runPeers: typeof import('../peers/browser.ts').runPeers | null;
}
