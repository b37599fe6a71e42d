/** The manifest's name in a tree audit2policy wrote (./manifest.ts): apart, so readers of logs know it cheaply. */
export const MANIFEST = '.audit2policy-manifest.json';
