// How each secret is named in a cloud's secret store, after the deployment's prefix.
import type { SecretKey } from '../answers/schema.js';

export const SECRET_SUFFIX: Record<SecretKey, string> = {
  secret: 'jwt-secret',
  encryptionSecret: 'encryption-secret',
  mongoUri: 'mongo-uri',
  redisUri: 'redis-uri',
  registryPassword: 'registry-credentials',
  auth0ClientSecret: 'auth0-client-secret',
  smtpPassword: 'smtp-password',
};
