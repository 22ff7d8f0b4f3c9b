import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** The markers around a generated section of docs/benchmarks.md that a single bench may rewrite. */
export function sectionMarkers(name: string, script: string) {
  return { START: `<!-- ${name}:start (${script}) -->`, END: `<!-- ${name}:end -->` };
}

/** Replaces the text between a section's markers (or appends the section when it is missing). */
export function writeSection(file: string, markers: { START: string; END: string }, content: string): void {
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const section = `${markers.START}\n\n${content}\n\n${markers.END}`;
  const next = doc.includes(markers.START)
    ? doc.slice(0, doc.indexOf(markers.START)) +
      section +
      doc.slice(doc.indexOf(markers.END) + markers.END.length)
    : `${doc}\n${section}\n`;
  writeFileSync(file, next);
}
