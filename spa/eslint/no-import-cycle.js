/**
 * `local/no-import-cycle`: no two modules of the source tree import each other, directly or
 * through others — counting `import type` too.
 *
 * import-x/no-cycle skips type-only imports (they vanish from the bundle), but a loop of
 * types still ties two modules into one: neither can be read, moved or split without the
 * other. This rule reads every module's imports (TypeScript's own pre-processor, which sees
 * `import type` and `export … from`), resolves them with the resolver import-x is given
 * (`import-x/resolver-next`), and reports each import that closes a loop, naming the loop.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SOURCE = /\.(ts|tsx)$/;
// The graph is rebuilt when older than this: a whole lint run shares one, an editor's
// long-lived process sees edits.
const FRESH_MS = 2000;

/** @param {string} dir @returns {string[]} */
function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return SOURCE.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/**
 * @typedef {{ resolve: (source: string, file: string) => { found: boolean, path?: string | null } }} Resolver
 * @typedef {{ edges: Map<string, Map<string, string>>, component: Map<string, number> }} Graph
 */

/** Each module's imports of other modules of the tree (specifier by target), and its strongly connected component. */
function buildGraph(/** @type {string} */ root, /** @type {Resolver[]} */ resolvers) {
  const files = sourceFiles(root);
  const known = new Set(files);
  /** @type {Map<string, Map<string, string>>} */
  const edges = new Map();
  for (const file of files) {
    const targets = new Map();
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      for (const resolver of resolvers) {
        const found = resolver.resolve(fileName, file);
        if (found.found && found.path && known.has(found.path)) targets.set(found.path, fileName);
        if (found.found) break;
      }
    }
    edges.set(file, targets);
  }
  return { edges, component: components(files, edges) };
}

/** Tarjan's strongly connected components: the component number of every module in a loop. */
function components(/** @type {string[]} */ files, /** @type {Map<string, Map<string, string>>} */ edges) {
  /** @type {Map<string, number>} */ const index = new Map();
  /** @type {Map<string, number>} */ const low = new Map();
  /** @type {Map<string, number>} */ const component = new Map();
  /** @type {string[]} */ const stack = [];
  const onStack = new Set();
  let counter = 0;
  const visit = (/** @type {string} */ v) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(Number(low.get(v)), Number(low.get(w))));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(Number(low.get(v)), Number(index.get(w))));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    /** @type {string[]} */ const members = [];
    let w;
    do {
      w = /** @type {string} */ (stack.pop());
      onStack.delete(w);
      members.push(w);
    } while (w !== v);
    if (members.length > 1) members.forEach((m) => component.set(m, Number(index.get(v))));
  };
  files.forEach((file) => index.has(file) || visit(file));
  return component;
}

/** The shortest way back from `from` to `to` inside their loop, as module paths. */
function pathBack(/** @type {Graph} */ graph, /** @type {string} */ from, /** @type {string} */ to) {
  const previous = new Map([[from, from]]);
  const queue = [from];
  while (queue.length) {
    const v = /** @type {string} */ (queue.shift());
    if (v === to) break;
    for (const w of graph.edges.get(v)?.keys() ?? []) {
      if (!previous.has(w) && graph.component.get(w) === graph.component.get(from)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  const route = [to];
  while (route[0] !== from) route.unshift(/** @type {string} */ (previous.get(/** @type {string} */ (route[0]))));
  return route;
}

/** @type {{ at: number, root: string, graph: Graph } | null} */
let cached = null;

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Disallow import cycles between modules, type-only imports included' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: { cycle: 'Import cycle (type-only imports count): {{loop}}. Move what both need into a module of its own.' },
  },
  create(context) {
    const root = path.resolve(context.cwd, context.options[0]?.root ?? 'src');
    const file = context.physicalFilename;
    if (!file.startsWith(root + path.sep)) return {};
    if (!cached || cached.root !== root || Date.now() - cached.at > FRESH_MS) {
      const resolvers = /** @type {Resolver[]} */ (context.settings['import-x/resolver-next'] ?? []);
      cached = { at: Date.now(), root, graph: buildGraph(root, resolvers) };
    }
    const { graph } = cached;
    const loop = graph.component.get(file);
    if (loop === undefined) return {};
    const check = (/** @type {import('estree').Node & { source?: import('estree').Literal | null }} */ node) => {
      if (!node.source || typeof node.source.value !== 'string') return;
      for (const [target, specifier] of graph.edges.get(file) ?? []) {
        if (specifier !== node.source.value || graph.component.get(target) !== loop) continue;
        const names = [file, ...pathBack(graph, target, file)].map((p) => path.relative(root, p));
        context.report({ node, messageId: 'cycle', data: { loop: names.join(' → ') } });
      }
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check };
  },
};

export default { rules: { 'no-import-cycle': rule } };
