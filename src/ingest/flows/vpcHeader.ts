import { isVpcHeaderAttempt, parseVpcHeader } from './vpcFormat.js';

/** An issue (a dropped line) or a per-file notice (a line read, with something worth saying) about one line. */
type Report = (line: number, code: string, message: string, notice: boolean) => void;

/** `N fields (a b c ...)`, the list cut past 1,000 characters. */
export function fieldsText(fields: readonly string[]): string {
  const all = fields.join(' ');
  return `${fields.length} fields (${all.length > 1000 ? `${all.slice(0, 1000)}…` : all})`;
}

const JOINED = 'a header line in the middle of the file (files joined together, or cut and joined again by a shipper?)';

/**
 * The format in force while one file's VPC flow log lines are read. A file delivered to S3 starts with a header line
 * naming its fields; files joined with `cat`, or cut and joined again by a shipper, have more header lines, each the
 * format from the line after it on (a per-file notice says so, whether the fields changed or not). A header line
 * that is no format (a field named twice, one the reader needs missing, values on it) is an issue, and so is each
 * record after it up to the next header line that is one: their fields are unknown, and reading them with the
 * format before it, or a guess, would put addresses and ports in the wrong place (a request read as a reply is a
 * path dropped; a port read as another, a path added).
 *
 * Records are read without looking here (the decoder's hot path): only a line that is no record of the format in
 * force (another count of values, or no action where the format has it, as in a header line) comes to `take`.
 */
export class VpcFormat {
  /** The fields records are read with; none while the records after a broken header line are left unread. */
  fields: readonly string[] = [];
  /** Where `action` is in `fields` (-1 without one): a record has ACCEPT, REJECT or `-` there, a header line never. */
  actionAt = -1;
  /** `fields` in words for issues, made once per format (a format can be long, and the lines that miss it many). */
  text = '';
  /** Whether a header line of the input named the fields (else they are `--vpc-format`'s or the default). */
  headed = false;
  /** The format records were last read with, which a header line is compared with. */
  private last: readonly string[];
  /** The line of a header line that is no format, while the records after it are left unread; else 0. */
  private broken = 0;
  /** Blank lines so far: a header line after nothing else is the file's own, not one in its middle. */
  private blanks = 0;

  constructor(
    /** The fields of records without a header line (`--vpc-format`, else AWS's default). */
    headerless: readonly string[],
    private readonly report: Report,
  ) {
    this.use(headerless);
    this.last = headerless;
  }

  private use(fields: readonly string[]): void {
    this.fields = fields;
    this.actionAt = fields.indexOf('action');
    this.text = fieldsText(fields);
    if (fields.length) this.last = fields;
  }

  /**
   * A line that is no record of the format in force: true when it was taken here (a blank line, a header line, or
   * a record left unread after a broken header line), false when it is to be read, and refused, as a record.
   */
  take(parts: readonly string[], line: number): boolean {
    if (parts.length === 1 && parts[0] === '') {
      this.blanks++;
      return true;
    }
    if (isVpcHeaderAttempt(parts)) {
      this.header(parts, line);
      return true;
    }
    if (!this.broken) return false;
    this.report(
      line,
      'flow.vpc-after-bad-header',
      `not read: the header line at line ${this.broken} is no format, so the fields of this record are unknown (read up to the next header line that is one)`,
      false,
    );
    return true;
  }

  private header(parts: readonly string[], line: number): void {
    const parsed = parseVpcHeader(parts);
    if ('problem' in parsed) {
      this.report(
        line,
        'flow.vpc-bad-header',
        `a header line that is no format: ${parsed.problem}; the records after it are not read, neither with the format before it nor with a guess, up to the next header line that is one`,
        false,
      );
      this.broken = line;
      this.use([]);
      return;
    }
    const fields = parsed.fields;
    // The file's first header line (after nothing but blank lines) is its format, as AWS writes it: nothing to say.
    if (this.headed || this.broken || line - 1 > this.blanks) {
      const before = this.broken
        ? `the format before the broken header line at line ${this.broken}`
        : this.headed
          ? 'the header line before it'
          : "the records before it, read without a header line (--vpc-format, else AWS's default)";
      const same = fields.length === this.last.length && fields.every((f, i) => f === this.last[i]);
      if (same)
        this.report(
          line,
          'flow.vpc-header-repeated',
          `${JOINED} names the same ${fieldsText(fields)} as ${before}: the lines after it are read with them`,
          true,
        );
      else
        this.report(
          line,
          'flow.vpc-header-changed',
          `${JOINED} changes the format: the lines after it are read with its ${fieldsText(fields)}, not the ${fieldsText(this.last)} of ${before}`,
          true,
        );
    }
    this.broken = 0;
    this.headed = true;
    this.use(fields);
  }
}
