/** Raised when the output directory holds files audit2policy did not write, or cannot be one. */
export class OutputConflictError extends Error {}
