// Regression tests for bugs found while writing the unit tests; each failed before its fix.
import { describe, expect, it } from 'vitest';
import { mergeAnswers, validateAnswers } from '../../source/answers/load.js';
import { fargateSizeProblem } from '../../source/clouds/aws/documents.js';
import { classifyFailure } from '../../source/exec/errors.js';
import { UsageError } from '../../source/errors.js';
import { awsAnswersRaw } from './fixtures.js';

describe('fargateSizeProblem for 256 CPU units (0.25 vCPU)', () => {
  // Fargate 0.25 vCPU takes 512 MiB, 1 GB or 2 GB. The table says [512, 2048, step 1024],
  // which allows 512 and 1536 only: it refuses the valid 1024 and 2048 and accepts 1536.
  it.each([1024, 2048])('accepts 256 CPU units with %i MiB', (memory) => {
    expect(fargateSizeProblem('ui', 256, memory)).toBeUndefined();
  });

  it('refuses 256 CPU units with 1536 MiB', () => {
    expect(fargateSizeProblem('ui', 256, 1536)).toBeDefined();
  });
});

describe('a "__proto__" key in the answers file is reported, not dropped', () => {
  // JSON.parse makes "__proto__" an own key; mergeAnswers then assigns result["__proto__"],
  // which sets the merged object's prototype instead of copying a key. The unknown key is
  // never reported, and values under it are read through the prototype as if they were answers.
  const file = (text: string) => mergeAnswers(JSON.parse(text) as Record<string, unknown>);

  it('reports "__proto__" as an unknown key after merging, as it does before', () => {
    const text = JSON.stringify({ ...awsAnswersRaw(), extra: 1 }).replace('"extra":1', '"__proto__":{"bogus":1}');
    expect(() => validateAnswers(JSON.parse(text))).toThrow(UsageError); // without the merge: reported
    expect(() => validateAnswers(file(text))).toThrow(UsageError); // through the merge: accepted
  });

  it('does not take answers from a "__proto__" block', () => {
    // Today this validates as complete AWS answers (and serialises to {} when saved).
    const text = `{"__proto__": ${JSON.stringify(awsAnswersRaw())}}`;
    expect(() => validateAnswers(file(text))).toThrow(UsageError);
  });
});

describe('bad-credential errors are access-denied', () => {
  // Preflight turns "failed" into "check network access to AWS and try again", which sends
  // the user the wrong way when the keys are wrong.
  it.each([
    'An error occurred (UnrecognizedClientException) when calling the DescribeClusters operation: The security token included in the request is invalid.',
    'An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    'An error occurred (AuthFailure) when calling the DescribeSubnets operation: AWS was not able to validate the provided access credentials',
  ])('%s', (stderr) => {
    expect(classifyFailure(stderr, 254)).toBe('access-denied');
  });
});
