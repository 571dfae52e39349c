/**
 * The deploy runbook in README.md's "On AWS" section, read as test/integration/runbook.test.ts runs it:
 * numbered steps (`#### N. Title`), and before each shell block a marker saying how it is tested:
 *
 *   <!-- runbook put-token: run -->                         the runbook test runs the block as written
 *   <!-- runbook build: run by test/integration/x.test.ts --> that test runs the same command
 *   <!-- runbook deploy: not run here: WHY -->               cannot run here, and why
 *
 * A step with nothing to type (a form on github.com) carries a marker without a block.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export const README_PATH = join(ROOT, 'README.md');
const SECTION_HEADING = '### Deploy: the runbook';

export type Marker =
  | { id: string; kind: 'run' }
  | { id: string; kind: 'run by'; by: string }
  | { id: string; kind: 'not run'; reason: string };

export interface RunbookBlock {
  marker: Marker | undefined;
  /** The block's text, without the fences. */
  code: string;
  /** The fence's info string (`sh`). */
  language: string;
}

export interface RunbookStep {
  number: number;
  title: string;
  markers: Marker[];
  blocks: RunbookBlock[];
  /** The step's prose and blocks as written. */
  text: string;
}

const MARKER = /^<!-- runbook ([a-z0-9-]+): (.+?) -->$/;
const STEP = /^#### (\d+)\. (.+)$/;

function readMarker(line: string): Marker | undefined {
  const match = MARKER.exec(line.trim());
  if (!match) return undefined;
  const [, id = '', rest = ''] = match;
  if (rest === 'run') return { id, kind: 'run' };
  if (rest.startsWith('run by ')) return { id, kind: 'run by', by: rest.slice('run by '.length) };
  if (rest.startsWith('not run here: '))
    return { id, kind: 'not run', reason: rest.slice('not run here: '.length) };
  throw new Error(`README runbook: marker ${id} says neither "run", "run by FILE" nor "not run here: WHY"`);
}

/** The runbook's text: from its heading to the next heading of its level or above. */
export function runbookSection(readme = readFileSync(README_PATH, 'utf8')): string {
  const start = readme.indexOf(`\n${SECTION_HEADING}\n`);
  if (start < 0) throw new Error(`README.md has no "${SECTION_HEADING}"`);
  const rest = readme.slice(start + 1);
  const end = rest.slice(SECTION_HEADING.length).search(/\n#{1,3} /);
  return end < 0 ? rest : rest.slice(0, SECTION_HEADING.length + end + 1);
}

/** The numbered steps, each with its markers and fenced blocks (each block with the marker just before it). */
export function readRunbook(section = runbookSection()): { steps: RunbookStep[]; preamble: RunbookBlock[] } {
  const steps: RunbookStep[] = [];
  const preamble: RunbookBlock[] = [];
  const lines = section.split('\n');
  let current: RunbookStep | undefined;
  let lastNonBlank = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const step = STEP.exec(line);
    if (step) {
      current = { number: Number(step[1]), title: step[2] as string, markers: [], blocks: [], text: '' };
      steps.push(current);
      lastNonBlank = line;
      continue;
    }
    if (current) current.text += `${line}\n`;
    const marker = readMarker(line);
    if (marker) current?.markers.push(marker);
    const fence = /^```(\S*)\s*$/.exec(line);
    if (fence) {
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i] as string); i++) body.push(lines[i] as string);
      if (current) current.text += `${body.join('\n')}\n\`\`\`\n`;
      const block = {
        marker: readMarker(lastNonBlank),
        code: `${body.join('\n')}\n`,
        language: fence[1] ?? '',
      };
      (current ? current.blocks : preamble).push(block);
      lastNonBlank = '```';
      continue;
    }
    if (line.trim() !== '') lastNonBlank = line;
  }
  return { steps, preamble };
}
