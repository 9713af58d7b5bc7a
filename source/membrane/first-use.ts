// What Membrane's docs ask for once the services answer at their domain, by sign-in mode
// (membrane-docs/authentication): the first admin for username/password, the application's
// URLs for Auth0. Cloud-independent; shown on every cloud's end screen.
import type { Settings } from '../answers/settings.js';

export function firstUseSteps(settings: Settings): string[] {
  const { urls } = settings;
  if (settings.answers.auth.mode === 'auth0') {
    return [
      `Auth0: in your application's settings allow the callback URLs ${urls.console} and ${urls.console}/callback, and ${urls.console} as logout URL, web origin and CORS origin.`,
    ];
  }
  return [
    `First admin (username and password sign-in), once ${urls.api} answers:`,
    `  curl -X POST ${urls.api}/auth/register -H 'Content-Type: application/json' -d '{"email": "admin@${settings.answers.domain}", "password": "<a strong password>", "name": "Admin"}'`,
    `  then sign in at ${urls.console}.`,
  ];
}
