/**
 * Plain objects keyed by what input says. A name from a log or a file (`constructor`, `toString`, `__proto__`) is a
 * key like any other: a lookup finds only the table's own entries, never what every object inherits (a function),
 * and a write makes an own entry, never calls the `__proto__` setter (which would change the object's prototype,
 * or, through an inherited entry, every object's). Maps need none of this; these are for the records and tables
 * the project keeps as objects because they are written out as JSON.
 */

/** `table[key]` when the table has it as its own entry, else undefined. */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Set `record[key]` as an own, enumerable entry, whatever the key. */
export function put<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
  else record[key] = value;
}

/** `record[key]`, first made with `make` when the record has no own entry of that key. */
export function entryOf<T>(record: Record<string, T>, key: string, make: () => T): T {
  if (Object.hasOwn(record, key)) return record[key]!;
  const value = make();
  put(record, key, value);
  return value;
}
