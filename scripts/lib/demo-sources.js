// The demo environment's sources as command-line arguments, relative to the project: what `npm run demo` reads
// (scripts/demo.js) and what the tests that run on the demo read.
export const DEMO_SOURCES = [
  '--k8s-audit',
  'fixtures/demo/k8s-audit',
  '--cloudtrail',
  'fixtures/demo/cloudtrail',
  '--flows',
  'fixtures/demo/flows',
  '--inventory',
  'fixtures/demo/inventory',
];
