import { it } from 'vitest';
import { validateAnswers, validateSecrets, mergeAnswers } from '../../source/answers/load.js';
import { createRunner } from '../../source/exec/runner.js';
import { createRedactor } from '../../source/exec/redact.js';
const base = {"cloud":"aws","domain":"example.com","imageTag":"2025-09-19","registry":{"server":"harbor.integration.app","username":"robot$core+acme"},"aws":{"region":"us-east-1","cluster":"membrane-cluster","subnets":["subnet-0123456789abcdef0"],"securityGroups":["sg-0123456789abcdef0"],"executionRoleArn":"arn:aws:iam::123456789012:role/ecsTaskExecutionRole","taskRoleArn":"arn:aws:iam::123456789012:role/membrane-task-role","targetGroups":{"api":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/membrane-api/0123456789abcdef","ui":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/membrane-ui/0123456789abcdef","console":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/membrane-console/0123456789abcdef"}}};
function p(raw: any) { try { console.log(JSON.stringify(validateAnswers(raw)).slice(0,300)); } catch (e: any) { console.log(e.message, e.problems); } }
it('x', async () => {
  p(base);
  p({ ...base, foo: 1, aws: { ...base.aws, subnetz: [] } });
  const { aws, ...noAws } = base; void aws;
  p(noAws);
  const { subnets, ...noSub } = base.aws; void subnets;
  p({ ...base, aws: noSub });
  p({ ...base, domain: 'https://example.com', cloud: 'gcpp' });
  p({ ...base, cloud: 'gcpp' });
  p({ ...base, aws: { ...base.aws, subnets: [] } });
  p({ ...base, auth: { mode: 'oauth' } });
  p({ ...base, auth: { mode: 'auth0' } });
  p({ ...base, registry: {} });
  p({ ...base, aws: { ...base.aws, subnets: ['subnet-x'] } });
  p(mergeAnswers(JSON.parse(JSON.stringify(base)), JSON.parse('{"__proto__":{"bogus":1}}')));
  p(JSON.parse('{"__proto__":{"bogus":1}}'));
  try { validateSecrets({ mongoUri: 'postgres://CANARY', redisUri: 'http://CANARY2' }, undefined); } catch (e: any) { console.log(e.message, e.problems); }
  try { validateSecrets({}, validateAnswers({ ...base, auth: { mode: 'auth0', auth0: { domain: 't.auth0.com', clientId: 'x' } } })); } catch (e: any) { console.log(e.message, e.problems); }
  const r = createRunner({ redact: createRedactor([]), backoffMs: 1 });
  for (const argv of [['definitely-not-a-cli-xyz'], ['node', '-e', 'setTimeout(()=>{},5000)']]) {
    try { await r.run({ argv }, { timeoutMs: 300, attempts: 1 }); } catch (e: any) { console.log(e.kind, e.message); }
  }
});
