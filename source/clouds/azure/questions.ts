// The wizard's Azure questions: typed, each checked against the schema (no lookups yet).
import { azureSchema } from '../../answers/schema.js';
import type { QuestionKit } from '../questions.js';

export async function askAzure({ text }: QuestionKit): Promise<void> {
  const shape = azureSchema.shape;
  await text(['azure', 'subscription'], shape.subscription, 'Azure subscription (name or id)');
  await text(['azure', 'resourceGroup'], shape.resourceGroup, 'Resource group');
  await text(['azure', 'location'], shape.location, 'Location', 'eastus');
  await text(['azure', 'environment'], shape.environment, 'Container Apps environment');
  await text(['azure', 'keyVault'], shape.keyVault, 'Key Vault (Azure RBAC) for the secrets');
}
