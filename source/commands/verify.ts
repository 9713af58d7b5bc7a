// verify: is each public URL of the deployment reachable as a user will reach it? DNS, TLS and
// health per host (source/verify/), shown as plain lines or one JSON document. It contacts only
// the hosts of the deployment's own domain.
import type { CliOptions } from '../args.js';
import { recordedEndpoints } from '../clouds/endpoints.js';
import { UsageError } from '../errors.js';
import { publicHosts, resultLines, verifyHosts } from '../verify/index.js';
import { line } from '../ui/terminal.js';
import { openJournal } from './journal-of.js';
import { givenAnswers, nextCommands, resolveDeployment } from './context.js';

export async function verify(options: CliOptions): Promise<number> {
  if (options.demo) {
    throw new UsageError('verify has nothing to check in the demo: its domain and load balancer are simulated, so no real host answers. Run verify for a real deployment (--name, or --config answers.json).');
  }
  const journal = openJournal(options);
  const { answers, fromFile } = await givenAnswers(options, journal);
  if (!journal.state && !fromFile) {
    throw new UsageError(`No deployment named "${options.name}" is recorded here. Give --config answers.json to verify a deployment made by hand.`);
  }
  const { settings } = resolveDeployment(options, answers);
  // The platform addresses the last install read from the cloud: each host's DNS must lead there.
  const endpoints = recordedEndpoints(journal.outputs());
  const hosts = publicHosts(settings, Object.fromEntries((endpoints?.services ?? []).map((endpoint) => [endpoint.host, endpoint.target])));
  if (!options.json) line(`Verifying ${hosts.map(({ host }) => `https://${host}`).join(', ')} …`);
  const results = await verifyHosts({ hosts, cloud: settings.answers.cloud, troubleshoot: nextCommands(options, false).troubleshoot });
  const ok = results.every((result) => result.ok);
  if (options.json) {
    line(JSON.stringify({ name: settings.name, domain: settings.answers.domain, ok, hosts: results.map(({ host, checks }) => ({ host, checks })) }, null, 2));
  } else {
    for (const text of resultLines(results)) line(text);
  }
  return ok ? 0 : 1;
}
