/** `1 permission`, `2 permissions`; the number as `fmt` writes it (the HTML groups thousands: `1,024 events`). */
export const plural = (n: number, word: string, fmt: (n: number) => string = String): string =>
  `${fmt(n)} ${word}${n === 1 ? '' : 's'}`;
