// Which actions a role's own policies allow: its inline policies and the default versions of
// the managed ones attached to it, read concurrently. Allow statements only (an approximation
// that ignores Deny, conditions and permission boundaries: enough to say what is missing).
import type { Runner } from '../../exec/runner.js';
import { runJson } from '../cli-json.js';
import { awsArgv } from './names.js';

/** What ECS Exec's agent in a task needs from its task role (`aws ecs execute-command`). */
export const ECS_EXEC_ACTIONS = ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'];

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
}

type PolicyDocument = { Statement?: Statement | Statement[] } | string;

/** The CLI decodes IAM's URL-encoded documents; a string is still parsed, to be safe. */
function statements(document: PolicyDocument | undefined): Statement[] {
  const parsed = typeof document === 'string' ? (JSON.parse(decodeURIComponent(document)) as { Statement?: Statement | Statement[] }) : document;
  const found = parsed?.Statement ?? [];
  return Array.isArray(found) ? found : [found];
}

const asList = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** IAM's wildcard match: `*` any run of characters, `?` one; case-insensitive for actions. */
function matches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`, 'i');
  return regex.test(action);
}

/** The actions of `wanted` that no Allow statement on any resource (`*`) of the role grants. */
export async function missingActions(runner: Runner, region: string, roleName: string, wanted: readonly string[]): Promise<string[]> {
  const call = (...args: string[]) => runJson(runner, { argv: awsArgv(region, 'iam', ...args) });
  const [inline, attached] = await Promise.all([call('list-role-policies', '--role-name', roleName), call('list-attached-role-policies', '--role-name', roleName)]);
  const documents = await Promise.all([
    ...(inline.PolicyNames ?? []).map(async (name: string) => (await call('get-role-policy', '--role-name', roleName, '--policy-name', name)).PolicyDocument),
    ...(attached.AttachedPolicies ?? []).map(async ({ PolicyArn }: { PolicyArn: string }) => {
      const { Policy } = await call('get-policy', '--policy-arn', PolicyArn);
      return (await call('get-policy-version', '--policy-arn', PolicyArn, '--version-id', Policy.DefaultVersionId)).PolicyVersion.Document;
    }),
  ]);
  const allowed = documents
    .flatMap(statements)
    .filter((statement) => statement.Effect === 'Allow' && asList(statement.Resource).includes('*'))
    .flatMap((statement) => asList(statement.Action));
  return wanted.filter((action) => !allowed.some((pattern) => matches(pattern, action)));
}
