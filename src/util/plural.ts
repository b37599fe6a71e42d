/**
 * `1 permission`, `2 permissions`; `many` for a word whose plural is not the word and an s (`policy`, `policies`).
 * The number as `fmt` writes it (the HTML groups thousands: `1,024 events`).
 */
export const plural = (
  n: number,
  word: string,
  fmt: (n: number) => string = String,
  many: string = `${word}s`,
): string => `${fmt(n)} ${n === 1 ? word : many}`;
