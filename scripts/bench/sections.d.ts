// Types of sections.js, for the tests that import it.
export const SECTION_NAMES: string[];
export function scaleSections(o: {
  root: string;
  dir?: string;
  repeats?: number;
  log?: (line: string) => void;
  which: string[];
  hcSizeMB?: number;
  distinctSizes?: number[];
  ctSizeMB?: number;
  ctDocRecords?: number;
}): Promise<Record<string, string>>;
export function spliceSections(doc: string, sections: Record<string, string>): string;
export function sectionOf(doc: string, title: string): string | undefined;
