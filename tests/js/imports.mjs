// The frontend's module graph, read from the sources: what each module imports.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FRONTEND = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'frontend');

/**
 * [[specifier, imported names, dynamic], ...] of a frontend module's static imports and its
 * dynamic `import('...')`s (names ['*'], dynamic true).
 */
export function importsOf(file) {
  const text = readFileSync(join(FRONTEND, file), 'utf8');
  const out = [];
  for (const m of text.matchAll(/import\s*(?:\{([^}]*)\}|[\w*\s]+)\s*from\s*'([^']+)'/g)) {
    out.push([m[2], (m[1] || '').split(',').map((s) => s.trim()).filter(Boolean), false]);
  }
  for (const m of text.matchAll(/import\(\s*'([^']+)'\s*\)/g)) out.push([m[1], ['*'], true]);
  return out;
}

/** The files that must load before `file` runs: itself and its static imports, transitively. */
export function staticClosure(file) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const [spec, , dynamic] of importsOf(name)) if (!dynamic) visit(spec.replace(/^\.\//, ''));
  };
  visit(file);
  return seen;
}
