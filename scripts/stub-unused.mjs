// Stand-in for modules the bundled libraries import but the CLI never runs: conf validates a
// JSON schema with ajv only when given one (we give none), and @inquirer/prompts re-exports the
// editor prompt (we never open an editor). Leaving them out keeps the package small; if one is
// ever called, it says so instead of misbehaving.
function unused() {
  throw new Error('internal: a module left out of the bundle (scripts/stub-unused.mjs) was called');
}
export class Ajv2020 {
  constructor() {
    unused();
  }
}
export default unused;
