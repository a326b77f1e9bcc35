// What `virtual:bench-peers` is when the bench page is built without --peers: no peer code, no peer packages.
export const runPeers = null;
