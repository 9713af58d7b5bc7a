// The wizard's Cloud Run questions: typed, each checked against the schema (no lookups yet).
import { gcpSchema } from '../../answers/schema.js';
import type { QuestionKit } from '../questions.js';

export async function askGcp({ text }: QuestionKit): Promise<void> {
  await text(['gcp', 'project'], gcpSchema.shape.project, 'Google Cloud project id', process.env.CLOUDSDK_CORE_PROJECT);
  await text(['gcp', 'region'], gcpSchema.shape.region, 'Cloud Run region', 'us-central1');
}
