import { describeAccess } from '../../model/access.js';
import type { Principal } from '../../model/profile.js';

/**
 * Accesses granted from records that carry no decision. A record of stage RequestReceived has neither a response
 * code nor the authorizer's annotation; an access with such records alone (an audit policy that omits the later
 * stages, a log cut before the response) may have been refused, yet becomes a rule (design.md, "Undecided
 * records"). Beside a denial they are the denied request's first stage and grant nothing, so only the accesses with
 * no allowed and no denied record are counted here, said once in the summary with the first few.
 */
const EXAMPLES = 3;

export class UndecidedGrants {
  private count = 0;
  private readonly subjects = new Set<string>();
  private readonly examples: string[] = [];

  /** Count a principal's accesses granted from undecided records alone (its policy was written: `written`). */
  add(p: Principal, written: boolean): void {
    if (!written) return;
    for (const e of p.k8s) {
      if (e.allowed || e.denied || !e.undecided || e.implied) continue;
      this.count++;
      this.subjects.add(p.username);
      if (this.examples.length < EXAMPLES) this.examples.push(`${p.username} ${describeAccess(e)}`);
    }
  }

  /** What to say when some were granted so, else undefined. */
  warning(): string | undefined {
    if (this.count === 0) return undefined;
    const n = this.count.toLocaleString('en-US');
    const s = this.subjects.size;
    return (
      `${n} access${this.count === 1 ? ' is' : 'es are'} granted from records with no decision (${s} subject` +
      `${s === 1 ? '' : 's'}; e.g. ${this.examples.join('; ')}): only their RequestReceived stage was logged, ` +
      'no response code, so a request the API server refused is granted too; have the audit policy log the ' +
      'ResponseComplete stage (not in omitStages) and soak again, or review these rules in the evidence'
    );
  }
}
