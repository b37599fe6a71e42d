export function mulberry32(seed: number): () => number;
export function trailIds(rand: () => number): {
  int(n: number): number;
  hex(n: number): string;
  uuid(): string;
  upper(n: number): string;
  iso(ms: number): string;
};
