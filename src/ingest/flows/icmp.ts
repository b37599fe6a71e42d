/**
 * ICMP in flow records. Only an echo request (ICMP type 8, ICMPv6 128) opens a conversation a policy allows; its reply
 * (0, 129) answers it. Errors (destination unreachable, source quench, redirect, time exceeded, parameter problem;
 * ICMPv6 1-4), neighbour discovery and router messages (ICMPv6 133-137) and the other queries (timestamp, address
 * mask, multicast listener...) are no connection: Kubernetes and Cilium let errors through with the connection they
 * are about, neighbour discovery is below policy, and the others are skipped with a count rather than allowed.
 */
export function hubbleIcmp(v6: boolean, type: number): 'request' | 'reply' | 'other' {
  if (type === (v6 ? 128 : 8)) return 'request';
  if (type === (v6 ? 129 : 0)) return 'reply';
  return 'other';
}

/** How far apart (seconds) a VPC ICMP record and its reverse may start and still be a request and its reply. */
const PAIR_SECONDS = 120;
/** How many unanswered ICMP records of a file are remembered (the window is per file and bounded). */
const PAIR_LIMIT = 4096;

interface Pending {
  line: number;
  start: number;
  text: string;
}

/**
 * VPC flow log records give ICMP no type and ports 0, so a ping and its reply are two records the other way round.
 * Within a file, a record whose reverse (the same addresses swapped, the same protocol) was read no more than
 * PAIR_SECONDS before or after it is that record's reply; the first read is the request. A record no reverse follows
 * stays a connection, as before, and is reported (`unpaired`) when it leaves the window or the file ends.
 */
export class IcmpPairs {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly unpaired: (line: number, message: string) => void) {}

  /** Whether the record is the reply to one read before; if not, it is remembered as a request. */
  reply(protocol: string, src: string, dst: string, start: number, line: number): boolean {
    for (const [k, p] of this.pending)
      if (p.start < start - PAIR_SECONDS || this.pending.size > PAIR_LIMIT) this.drop(k, p);
      else break;
    const back = this.pending.get(`${protocol} ${dst} ${src}`);
    if (back && Math.abs(back.start - start) <= PAIR_SECONDS) {
      this.pending.delete(`${protocol} ${dst} ${src}`);
      return true;
    }
    const key = `${protocol} ${src} ${dst}`;
    // Map order is insertion order: re-inserting keeps the oldest first, for the window above.
    this.pending.delete(key);
    this.pending.set(key, { line, start, text: `${protocol} ${src} > ${dst}` });
    return false;
  }

  /** The file is read: what is still unanswered is reported. */
  end(): void {
    for (const [k, p] of this.pending) this.drop(k, p);
  }

  private drop(k: string, p: Pending): void {
    this.pending.delete(k);
    this.unpaired(
      p.line,
      `${p.text}: VPC flow logs give ICMP no type, and no record the other way round within ${PAIR_SECONDS} s was ` +
        `read in this file to be its reply: taken as a request (an echo request, or a message of another type)`,
    );
  }
}
