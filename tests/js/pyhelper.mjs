// Runs a Python snippet with the project's interpreter (the venv beside the repo, or
// $TB_ATTRIB_PYTHON) and returns its stdout parsed as JSON; null when no interpreter can
// import tb_attrib, so cross-checks against the Python half of the format can be skipped.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CANDIDATES = [process.env.TB_ATTRIB_PYTHON, join(ROOT, '.venv', 'bin', 'python'), 'python3'];

let python;

function findPython() {
  if (python !== undefined) return python;
  python = null;
  for (const candidate of CANDIDATES) {
    if (!candidate || (candidate.includes('/') && !existsSync(candidate))) continue;
    try {
      execFileSync(candidate, ['-c', 'import tb_attrib.summary.codec, numpy'], { cwd: ROOT, stdio: 'ignore' });
      python = candidate;
      break;
    } catch {
      // try the next one
    }
  }
  return python;
}

export function runPython(source) {
  const exe = findPython();
  if (!exe) return null;
  const out = execFileSync(exe, ['-c', source], { cwd: ROOT, maxBuffer: 64 << 20 });
  return JSON.parse(out.toString('utf-8'));
}
